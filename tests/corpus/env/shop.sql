CREATE TABLE customers (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  email TEXT NOT NULL UNIQUE,
  country TEXT NOT NULL,
  joined TEXT NOT NULL
);
CREATE TABLE products (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  category TEXT NOT NULL,
  price REAL NOT NULL,
  stock INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE orders (
  id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customers(id),
  ordered_at TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'shipped', 'delivered', 'cancelled'))
);
CREATE TABLE order_items (
  order_id INTEGER NOT NULL REFERENCES orders(id),
  product_id INTEGER NOT NULL REFERENCES products(id),
  quantity INTEGER NOT NULL,
  unit_price REAL NOT NULL,
  PRIMARY KEY (order_id, product_id)
);
INSERT INTO customers VALUES
  (1, 'Ana Souza', 'ana@example.com', 'Brazil', '2025-01-14'),
  (2, 'Ben Carter', 'ben@example.com', 'USA', '2025-02-03'),
  (3, 'Chloe Martin', 'chloe@example.com', 'France', '2025-02-20'),
  (4, 'Diego Ramos', 'diego@example.com', 'Brazil', '2025-03-11'),
  (5, 'Emma Weber', 'emma@example.com', 'Germany', '2025-04-02'),
  (6, 'Farid Haddad', 'farid@example.com', 'France', '2025-05-19'),
  (7, 'Grace Kim', 'grace@example.com', 'USA', '2025-06-07'),
  (8, 'Hiro Tanaka', 'hiro@example.com', 'Japan', '2025-07-23');
INSERT INTO products VALUES
  (1, 'Espresso beans 1kg', 'coffee', 24.5, 40),
  (2, 'Filter beans 500g', 'coffee', 12.0, 0),
  (3, 'Pour-over kettle', 'equipment', 39.9, 12),
  (4, 'Burr grinder', 'equipment', 89.0, 5),
  (5, 'Ceramic mug', 'accessories', 9.5, 120),
  (6, 'Paper filters (100)', 'accessories', 4.25, 0),
  (7, 'Milk frother', 'equipment', 29.0, 8),
  (8, 'Green tea 250g', 'tea', 8.75, 60),
  (9, 'Cold brew jar', 'equipment', 19.99, 0),
  (10, 'Chai blend 250g', 'tea', 7.5, 33);
INSERT INTO orders VALUES
  (1, 1, '2026-01-05', 'delivered'),
  (2, 2, '2026-01-09', 'delivered'),
  (3, 1, '2026-01-21', 'delivered'),
  (4, 3, '2026-02-02', 'cancelled'),
  (5, 4, '2026-02-14', 'delivered'),
  (6, 5, '2026-02-27', 'shipped'),
  (7, 2, '2026-03-03', 'pending'),
  (8, 6, '2026-03-08', 'delivered'),
  (9, 7, '2026-03-15', 'delivered'),
  (10, 3, '2026-03-22', 'delivered'),
  (11, 2, '2026-04-01', 'shipped'),
  (12, 8, '2026-04-04', 'pending');
INSERT INTO order_items VALUES
  (1, 1, 2, 24.5), (1, 5, 1, 9.5),
  (2, 4, 1, 89.0), (2, 6, 2, 4.25),
  (3, 2, 3, 12.0),
  (4, 3, 1, 39.9),
  (5, 7, 1, 29.0), (5, 8, 2, 8.75),
  (6, 1, 1, 24.5), (6, 10, 4, 7.5),
  (7, 9, 2, 19.99),
  (8, 3, 1, 39.9), (8, 5, 2, 9.5),
  (9, 4, 1, 85.0), (9, 1, 1, 24.5),
  (10, 8, 1, 8.75), (10, 10, 2, 7.5),
  (11, 2, 2, 12.0), (11, 5, 1, 9.5),
  (12, 3, 1, 39.9);
