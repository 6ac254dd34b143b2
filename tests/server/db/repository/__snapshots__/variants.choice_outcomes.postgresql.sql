-- bound parameters: :id
SELECT v.customer_id,
    v.variant_id,
    v.variants,
    v.propensity,
    v.best_variant,
    m.variant_id,
    CASE WHEN m.first_human_open_at IS NOT NULL OR m.first_click_at IS NOT NULL THEN 1 ELSE 0 END,
    CASE WHEN m.first_click_at IS NOT NULL THEN 1 ELSE 0 END
FROM variant_choice v
LEFT JOIN message m ON m.campaign_id = v.campaign_id AND m.customer_id = v.customer_id AND m.delivered_at IS NOT NULL
WHERE v.campaign_id = :id
ORDER BY v.customer_id,
    v.occasion
