const text = (r: any): string => {
  if (typeof r === "string") return r;
  if (r == null) return "";
  if (Array.isArray(r)) return r.map(text).join("\n");
  if (typeof r.content === "string") return r.content;
  if (Array.isArray(r.content)) return r.content.map((c: any) => (typeof c === "string" ? c : c?.text ?? "")).join("\n");
  if (typeof r.text === "string") return r.text;
  return JSON.stringify(r);
};
const allowed = text(await filesystem.list_allowed_directories({}))
  .replace(/\r/g, "").split("\n").map((l) => l.trim().replace(/^[-*]\s+/, ""))
  .filter((l) => l.startsWith("/") || /^[A-Za-z]:[\\/]/.test(l));
if (!allowed.length) throw new Error("no allowed directory found");
const join = (a: string, b: string) => a.replace(/[\\/]+$/, "") + "/" + b;
const root = allowed[0];
const cfg = JSON.parse(text(await filesystem.read_text_file({ path: join(root, "config/app.json") })));
let ids: any[] | null = null;
const visit = (o: any) => {
  if (ids || o == null || typeof o !== "object") return;
  for (const [k, v] of Object.entries(o)) {
    if (/featured/i.test(k)) {
      if (Array.isArray(v)) { ids = v; return; }
      if (v && typeof v === "object") {
        for (const [k2, v2] of Object.entries(v as any)) if (Array.isArray(v2) && /id|product/i.test(k2)) { ids = v2 as any[]; return; }
      }
    }
  }
  for (const v of Object.values(o)) visit(v);
};
visit(cfg);
if (!ids) throw new Error("featured ids not found in config: " + JSON.stringify(cfg));
const idList = (ids as any[]).map((x) => (x && typeof x === "object" ? x.id ?? x.product_id : x));
const lit = (x: any) => (typeof x === "number" || /^-?\d+$/.test(String(x)) ? String(Number(x)) : `'${String(x).replace(/'/g, "''")}'`);
const rows: any = await sqlite.read_query({ query: `SELECT id, name FROM products WHERE id IN (${idList.map(lit).join(", ")})` });
const byId = new Map<string, string>();
for (const r of rows) byId.set(String(r.id), r.name);
const out: string[] = [];
for (const id of idList) {
  const n = byId.get(String(id)) ?? byId.get(String(Number(id)));
  if (n !== undefined) out.push(n); else console.log("no product with id " + id);
}
return out;
