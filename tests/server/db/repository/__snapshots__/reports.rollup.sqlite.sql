-- bound parameters: none
SELECT campaign_id,
    variant_id,
    day,
    sent,
    delivered,
    bounced,
    hard_bounced,
    soft_bounced,
    unique_opens,
    human_unique_opens,
    total_opens,
    unique_clicks,
    total_clicks,
    unsubscribed,
    complained,
    conversions,
    CAST(revenue AS REAL) AS revenue
FROM rollup_campaign_day
