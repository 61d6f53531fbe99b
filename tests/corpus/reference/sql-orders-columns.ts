const info = await sqlite.describe_table({ table_name: "orders" });
return { columns: info.map((c) => c.name), primary_key: info.find((c) => c.pk)!.name };
