const raw: any = await sqlite.list_tables({});
const names: string[] = (Array.isArray(raw) ? raw : []).map((t: any) =>
  typeof t === "string" ? t : t?.name ?? Object.values(t ?? {})[0]
).filter((n: any) => typeof n === "string" && !/^sqlite_/i.test(n));
const out: Record<string, number> = {};
await Promise.all(names.map(async (n) => {
  const rows: any = await sqlite.read_query({ query: `SELECT COUNT(*) AS n FROM "${n.replace(/"/g, '""')}"` });
  const row = Array.isArray(rows) ? rows[0] : rows;
  out[n] = Number(row?.n ?? Object.values(row ?? {})[0]);
}));
const sorted: Record<string, number> = {};
for (const n of names) sorted[n] = out[n];
return sorted;
