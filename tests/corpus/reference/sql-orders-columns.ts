const info = await sqlite.describe_table({ table_name: "orders" });
const columns = [...info.matchAll(/'name': '(\w+)', [^}]*'pk': (\d)/g)];
return { columns: columns.map((c) => c[1]), primary_key: columns.find((c) => c[2] !== "0")![1] };
