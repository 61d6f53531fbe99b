return await sqlite.read_query({
  query: `SELECT c.name, ROUND(SUM(i.quantity * i.unit_price), 2) AS total FROM customers c
    JOIN orders o ON o.customer_id = c.id JOIN order_items i ON i.order_id = o.id
    WHERE o.status = 'delivered' GROUP BY c.id ORDER BY total DESC LIMIT 3`,
});
