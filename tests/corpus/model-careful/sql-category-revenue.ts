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
const orders = findTable(/^orders?$/i)!;
const items = findTable(/^order_?items?$/i, /order_?lines?/i, /line_?items?/i, /item/i)!;
const products = findTable(/^products?$/i, /product/i)!;
const oId = pick(orders, ["id", "order_id"])!;
const oStatus = pick(orders, ["status", "state", "order_status"])!;
const iOrder = pick(items, ["order_id", "orderid", "order"])!;
const iProd = pick(items, ["product_id", "productid", "product"])!;
const iQty = pick(items, ["quantity", "qty", "count"])!;
const iPrice = pick(items, ["unit_price", "unitprice", "price", "unit_cost", "price_each"]);
const pId = pick(products, ["id", "product_id"])!;
const pPrice = pick(products, ["unit_price", "price"]);
const priceExpr = iPrice ? `oi.${q(iPrice)}` : `p.${q(pPrice!)}`;
let catExpr: string, catJoin = "";
const pCat = pick(products, ["category", "category_name", "cat"]);
if (pCat) catExpr = `p.${q(pCat)}`;
else {
  const pCatId = pick(products, ["category_id", "categoryid"])!;
  const cats = findTable(/^categor(y|ies)$/i, /categor/i)!;
  const cId = pick(cats, ["id", "category_id"])!;
  const cName = pick(cats, ["name", "category_name", "title"])!;
  catJoin = ` JOIN ${q(cats)} cat ON cat.${q(cId)} = p.${q(pCatId)}`;
  catExpr = `cat.${q(cName)}`;
}
const st: any = await sqlite.read_query({ query: `SELECT DISTINCT ${q(oStatus)} AS s FROM ${q(orders)}` });
const statuses: string[] = st.map((r: any) => r.s).filter((s: any) => typeof s === "string");
const cancelled = statuses.filter((s) => /cancel/i.test(s));
console.log("statuses: " + JSON.stringify(statuses) + " excluding " + JSON.stringify(cancelled));
const notIn = cancelled.length
  ? ` WHERE (o.${q(oStatus)} IS NULL OR o.${q(oStatus)} NOT IN (${cancelled.map((s) => `'${s.replace(/'/g, "''")}'`).join(", ")}))`
  : "";
const sql = `SELECT ${catExpr} AS category, SUM(oi.${q(iQty)} * ${priceExpr}) AS revenue
FROM ${q(orders)} o JOIN ${q(items)} oi ON oi.${q(iOrder)} = o.${q(oId)}
JOIN ${q(products)} p ON p.${q(pId)} = oi.${q(iProd)}${catJoin}${notIn}
GROUP BY ${catExpr} ORDER BY category`;
const rows: any = await sqlite.read_query({ query: sql });
const out: Record<string, number> = {};
for (const r of rows) out[String(r.category)] = Math.round((Number(r.revenue) + Number.EPSILON) * 100) / 100;
return out;
