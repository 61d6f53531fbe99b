const d: any = await sqlite.describe_table({ table_name: "products" });
const names: string[] = d.map((c: any) => c.name);
const nameCol = names.find((n) => n.toLowerCase() === "name") ?? names.find((n) => /name|title/i.test(n)) ?? "name";
const stockCol = names.find((n) => n.toLowerCase() === "stock") ?? names.find((n) => /stock|quantity|qty/i.test(n)) ?? "stock";
const rows: any = await sqlite.read_query({ query: `SELECT "${nameCol}" AS name FROM products WHERE "${stockCol}" = 0` });
const restocked: string[] = rows.map((r: any) => r.name);
if (restocked.length) {
  const res: any = await sqlite.write_query({ query: `UPDATE products SET "${stockCol}" = 10 WHERE "${stockCol}" = 0` });
  console.log("update result: " + JSON.stringify(res));
}
return restocked.sort();
