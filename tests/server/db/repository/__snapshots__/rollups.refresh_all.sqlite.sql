-- bound parameters: none
INSERT INTO rollup_campaign_day (campaign_id, variant_id, day, sent, delivered, bounced, hard_bounced, soft_bounced, unique_opens, human_unique_opens, total_opens, unique_clicks, total_clicks, unsubscribed, complained, conversions, revenue)
SELECT campaign_id,
    variant_id,
    date(sent_at) AS day,
    COUNT(*) AS sent,
    COUNT(delivered_at) AS delivered,
    COUNT(bounced_at) AS bounced,
    SUM(CASE WHEN bounced_at IS NOT NULL AND bounce_type = 'hard' THEN 1 ELSE 0 END) AS hard_bounced,
    SUM(CASE WHEN bounced_at IS NOT NULL AND bounce_type <> 'hard' THEN 1 ELSE 0 END) AS soft_bounced,
    COUNT(first_open_at) AS unique_opens,
    COUNT(first_human_open_at) AS human_unique_opens,
    SUM(open_count) AS total_opens,
    COUNT(first_click_at) AS unique_clicks,
    SUM(click_count) AS total_clicks,
    COUNT(unsubscribed_at) AS unsubscribed,
    COUNT(complained_at) AS complained,
    SUM(conversions) AS conversions,
    SUM(revenue) AS revenue
FROM message
GROUP BY campaign_id,
    variant_id,
    date(sent_at)
