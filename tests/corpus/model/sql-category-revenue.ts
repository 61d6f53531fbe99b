const rows = await sqlite.read_query({ query: `
SELECT p.category AS category, ROUND(SUM(oi.quantity * oi.unit_price), 2) AS revenue
FROM order_items oi
JOIN orders o ON o.id = oi.order_id
JOIN products p ON p.id = oi.product_id
WHERE o.status != 'cancelled'
GROUP BY p.category` }) as any[];
return Object.fromEntries(rows.map(r => [r.category, r.revenue]));
