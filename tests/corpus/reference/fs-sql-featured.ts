const ids: number[] = JSON.parse((await filesystem.read_text_file({ path: "config/app.json" })).content).featured_products;
const rows = await sqlite.read_query({ query: `SELECT id, name FROM products WHERE id IN (${ids.join(",")})` });
const names = Object.fromEntries([...rows.matchAll(/'id': (\d+), 'name': '([^']*)'/g)].map(([, id, name]) => [id, name]));
return ids.map((id) => names[id]);
