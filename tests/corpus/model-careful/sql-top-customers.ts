const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
const raw: any = await sqlite.list_tables({});
const tables: string[] = raw.map((t: any) => (typeof t === "string" ? t : t.name));
const cols: Record<string, string[]> = {};
await Promise.all(tables.map(async (t) => {
  const d: any = await sqlite.describe_table({ table_name: t });
  cols[t] = d.map((c: any) => c.name);
}));
const findTable = (...res: RegExp[]) => {
  for (const re of res) { const t = tables.find((x) => re.test(x)); if (t) return t; }
  return undefined;
};
const pick = (t: string | undefined, cands: string[]) => {
  if (!t) return undefined;
  for (const c of cands) { const f = cols[t].find((x) => x.toLowerCase() === c); if (f) return f; }
  return undefined;
};
const customers = findTable(/^customers?$/i, /customer/i, /^clients?$/i, /^users?$/i)!;
const orders = findTable(/^orders?$/i)!;
const items = findTable(/^order_?items?$/i, /order_?lines?/i, /line_?items?/i, /item/i)!;
const products = findTable(/^products?$/i, /product/i);
const cId = pick(customers, ["id", "customer_id"])!;
const cName = pick(customers, ["name", "full_name", "customer_name"])!;
const oId = pick(orders, ["id", "order_id"])!;
const oCust = pick(orders, ["customer_id", "customerid", "customer", "client_id", "user_id"])!;
const oStatus = pick(orders, ["status", "state", "order_status"])!;
const iOrder = pick(items, ["order_id", "orderid", "order"])!;
const iQty = pick(items, ["quantity", "qty", "count"])!;
let iPrice = pick(items, ["unit_price", "unitprice", "price", "unit_cost", "price_each"]);
let priceExpr: string, join = "";
if (iPrice) priceExpr = `oi.${q(iPrice)}`;
else {
  const iProd = pick(items, ["product_id", "productid", "product"])!;
  const pId = pick(products, ["id", "product_id"])!;
  const pPrice = pick(products, ["unit_price", "price"])!;
  join = ` JOIN ${q(products!)} p ON p.${q(pId)} = oi.${q(iProd)}`;
  priceExpr = `p.${q(pPrice)}`;
}
const st: any = await sqlite.read_query({ query: `SELECT DISTINCT ${q(oStatus)} AS s FROM ${q(orders)}` });
const statuses: string[] = st.map((r: any) => r.s).filter((s: any) => typeof s === "string");
const delivered = statuses.filter((s) => s.trim().toLowerCase() === "delivered");
const use = delivered.length ? delivered : statuses.filter((s) => /deliver/i.test(s) && !/un|not/i.test(s));
console.log("statuses: " + JSON.stringify(statuses) + " using " + JSON.stringify(use));
const inList = use.map((s) => `'${s.replace(/'/g, "''")}'`).join(", ");
const sql = `SELECT c.${q(cId)} AS cid, c.${q(cName)} AS name, SUM(oi.${q(iQty)} * ${priceExpr}) AS total
FROM ${q(orders)} o JOIN ${q(items)} oi ON oi.${q(iOrder)} = o.${q(oId)}${join}
JOIN ${q(customers)} c ON c.${q(cId)} = o.${q(oCust)}
WHERE o.${q(oStatus)} IN (${inList || "NULL"})
GROUP BY c.${q(cId)}, c.${q(cName)}
ORDER BY total DESC, name ASC`;
const rows: any = await sqlite.read_query({ query: sql });
return rows.slice(0, 3).map((r: any) => ({ name: r.name, total: Math.round((Number(r.total) + Number.EPSILON) * 100) / 100 }));
