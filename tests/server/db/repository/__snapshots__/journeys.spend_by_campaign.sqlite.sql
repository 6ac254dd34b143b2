-- bound parameters: none
SELECT campaign_id AS key,
    SUM(CAST(amount AS REAL)) AS spend
FROM spend
WHERE campaign_id IS NOT NULL AND incurred_on >= '2026-03-01' AND incurred_on <= '2026-03-31'
GROUP BY campaign_id
