const dirs = await filesystem.list_allowed_directories();
const root = dirs.content.split("\n").map(l => l.trim()).filter(Boolean).pop()!;
const app = await filesystem.read_text_file({ path: `${root}/config/app.json` });
const ids: number[] = JSON.parse(app.content).featured_products;
const rows = await sqlite.read_query({ query: `SELECT id, name FROM products WHERE id IN (${ids.map(Number).join(",")})` }) as any[];
const byId = new Map(rows.map(r => [r.id, r.name]));
return ids.map(id => byId.get(Number(id)));
