const counts: Record<string, number> = {};
for (const { name } of await sqlite.list_tables()) {
  counts[name] = (await sqlite.read_query({ query: `SELECT COUNT(*) AS n FROM ${name}` }))[0].n;
}
return counts;
