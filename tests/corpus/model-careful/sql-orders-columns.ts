const d: any = await sqlite.describe_table({ table_name: "orders" });
const cols = [...d].sort((a: any, b: any) => Number(a.cid) - Number(b.cid));
const pks = cols.filter((c: any) => Number(c.pk) > 0).sort((a: any, b: any) => Number(a.pk) - Number(b.pk));
return { columns: cols.map((c: any) => c.name), primary_key: pks.length ? pks[0].name : null };
