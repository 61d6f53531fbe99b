const rows = await sqlite.read_query({ query: `
SELECT c.name AS name, ROUND(SUM(oi.quantity * oi.unit_price), 2) AS total
FROM customers c
JOIN orders o ON o.customer_id = c.id
JOIN order_items oi ON oi.order_id = o.id
WHERE o.status = 'delivered'
GROUP BY c.id
ORDER BY total DESC
LIMIT 3` }) as any[];
return rows.map(r => ({ name: r.name, total: r.total }));
