const rows = await sqlite.read_query({
  query: `SELECT p.category, ROUND(SUM(i.quantity * i.unit_price), 2) AS revenue FROM order_items i
    JOIN products p ON p.id = i.product_id JOIN orders o ON o.id = i.order_id
    WHERE o.status <> 'cancelled' GROUP BY p.category`,
});
return Object.fromEntries(rows.map((r) => [r.category, r.revenue]));
