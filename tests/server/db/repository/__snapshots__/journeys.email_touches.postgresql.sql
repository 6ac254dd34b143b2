-- bound parameters: none
SELECT customer_id,
    campaign_id,
    delivered_at,
    first_open_at,
    first_click_at
FROM message
WHERE (delivered_at IS NOT NULL AND delivered_at >= '2026-03-01 09:01:00.000000+00:00' AND delivered_at < '2026-03-05 10:00:00.000000+00:00') OR (first_open_at IS NOT NULL AND first_open_at >= '2026-03-01 09:01:00.000000+00:00' AND first_open_at < '2026-03-05 10:00:00.000000+00:00') OR (first_click_at IS NOT NULL AND first_click_at >= '2026-03-01 09:01:00.000000+00:00' AND first_click_at < '2026-03-05 10:00:00.000000+00:00')
