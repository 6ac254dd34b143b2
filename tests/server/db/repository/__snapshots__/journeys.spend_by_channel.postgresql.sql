-- bound parameters: none
SELECT category AS key,
    SUM(CAST(amount AS DOUBLE PRECISION)) AS spend
FROM spend
WHERE category IS NOT NULL AND incurred_on >= '2026-03-01' AND incurred_on <= '2026-03-31'
GROUP BY category
