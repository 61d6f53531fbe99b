const rows = await sqlite.read_query({ query: "SELECT name FROM products WHERE stock = 0 ORDER BY name" }) as any[];
await sqlite.write_query({ query: "UPDATE products SET stock = 10 WHERE stock = 0" });
return rows.map(r => r.name).sort();
