-- bound parameters: :s0, :s1
SELECT m.campaign_id,
    m.variant_id,
    CAST(m.sent_at AT TIME ZONE 'UTC' AS DATE) AS day,
    CAST(EXTRACT(HOUR FROM (m.sent_at AT TIME ZONE 'UTC')) AS INTEGER) AS hour,
    COALESCE(c.email_domain, '') AS email_domain,
    COUNT(*) AS sent,
    COUNT(m.delivered_at) AS delivered,
    COUNT(m.bounced_at) AS bounced,
    SUM(CASE WHEN m.bounced_at IS NOT NULL AND m.bounce_type = 'hard' THEN 1 ELSE 0 END) AS hard_bounced,
    SUM(CASE WHEN m.bounced_at IS NOT NULL AND m.bounce_type <> 'hard' THEN 1 ELSE 0 END) AS soft_bounced,
    COUNT(m.first_open_at) AS unique_opens,
    COUNT(m.first_human_open_at) AS human_unique_opens,
    SUM(m.open_count) AS total_opens,
    COUNT(m.first_click_at) AS unique_clicks,
    SUM(m.click_count) AS total_clicks,
    COUNT(m.unsubscribed_at) AS unsubscribed,
    COUNT(m.complained_at) AS complained,
    SUM(m.conversions) AS conversions,
    SUM(m.revenue) AS revenue,
    SUM(CASE WHEN m.conversions > 0 THEN 1 ELSE 0 END) AS converted,
    SUM(COALESCE(m.prior_value, 0)) AS recipient_value
FROM (
    SELECT m0.*,
        (
        SELECT SUM(o.amount)
        FROM orders o
        WHERE o.customer_id = m0.customer_id AND o.occurred_at < m0.sent_at
    ) AS prior_value
    FROM message m0
    WHERE m0.customer_id IN (
        SELECT customer_id
        FROM segment_member
        WHERE segment_id IN (:s0, :s1)
    )
) m
LEFT JOIN customer c ON c.customer_id = m.customer_id
GROUP BY m.campaign_id,
    m.variant_id,
    3,
    4,
    5
