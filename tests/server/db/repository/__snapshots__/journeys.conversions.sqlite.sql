-- bound parameters: none
SELECT order_id,
    customer_id,
    occurred_at,
    CAST(amount AS REAL) AS revenue
FROM orders
WHERE occurred_at IS NOT NULL AND occurred_at >= '2026-03-02 12:01:00.000000' AND occurred_at < '2026-03-08 12:00:00.000000'
