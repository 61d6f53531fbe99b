const tables = await sqlite.list_tables();
const counts = await Promise.all(tables.map(t => sqlite.read_query({ query: `SELECT COUNT(*) AS n FROM "${t.name}"` }) as Promise<any[]>));
return Object.fromEntries(tables.map((t, i) => [t.name, counts[i][0].n]));
