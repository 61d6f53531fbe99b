const counts: Record<string, number> = {};
for (const [, table] of (await sqlite.list_tables()).matchAll(/'name': '(\w+)'/g)) {
  const rows = await sqlite.read_query({ query: `SELECT COUNT(*) AS n FROM ${table}` });
  counts[table] = Number(rows.match(/'n': (\d+)/)![1]);
}
return counts;
