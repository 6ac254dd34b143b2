-- bound parameters: none
SELECT customer_id,
    occurred_at,
    channel,
    campaign_id,
    channel AS touch_kind
FROM touchpoint
WHERE channel <> 'email' AND occurred_at IS NOT NULL AND occurred_at >= '2026-03-01 09:01:00.000000+00:00' AND occurred_at < '2026-03-05 10:00:00.000000+00:00'
