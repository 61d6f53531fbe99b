const cols = await sqlite.describe_table({ table_name: "orders" });
const sorted = [...cols].sort((a, b) => a.cid - b.cid);
return { columns: sorted.map(c => c.name), primary_key: sorted.find(c => c.pk > 0)!.name };
