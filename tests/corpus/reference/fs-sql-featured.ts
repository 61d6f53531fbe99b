const ids: number[] = JSON.parse((await filesystem.read_text_file({ path: "config/app.json" })).content).featured_products;
const rows = await sqlite.read_query({ query: `SELECT id, name FROM products WHERE id IN (${ids.join(",")})` });
return ids.map((id) => rows.find((r) => r.id === id)!.name);
