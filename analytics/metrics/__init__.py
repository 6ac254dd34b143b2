"""Campaign metrics: counters in, rates, statuses, trends, attribution and insights out.

Pure functions over polars frames and summary numbers; see each module for one idea.
"""

from analytics.metrics.breakdown import Breakdown, breakdown, share_of, with_customer_value
from analytics.metrics.comparison import GroupRate, Insight, compare_groups
from analytics.metrics.counters import (
    COUNTER_SCHEMA,
    COUNTERS,
    counters_from_messages,
    sum_counters,
)
from analytics.metrics.definitions import (
    METRIC_NAMES,
    METRICS,
    Direction,
    MetricDefinition,
    ValueFormat,
    metric,
)
from analytics.metrics.devices import DEVICES, device_of, message_devices
from analytics.metrics.evaluation import MetricStatus, evaluate
from analytics.metrics.insights import (
    best_campaign_type,
    best_send_hour,
    best_subject_length,
    best_weekday,
    subject_length_band,
    subject_length_bands,
    with_send_time,
)
from analytics.metrics.intervals import wilson_interval
from analytics.metrics.last_touch import TOUCH_PRIORITY, Attribution, attribute_orders
from analytics.metrics.ranking import CampaignRanking, rank_campaigns
from analytics.metrics.rates import STATUSES, Status, compute_rates
from analytics.metrics.recommendations import (
    RULES,
    Recommendation,
    RecommendationRule,
    recommend,
)
from analytics.metrics.statistics import CampaignStatistics, campaign_statistics
from analytics.metrics.targets import Targets
from analytics.metrics.trend import Granularity, period_start, trend

__all__ = [
    "COUNTERS",
    "COUNTER_SCHEMA",
    "DEVICES",
    "METRICS",
    "METRIC_NAMES",
    "RULES",
    "STATUSES",
    "TOUCH_PRIORITY",
    "Attribution",
    "Breakdown",
    "CampaignRanking",
    "CampaignStatistics",
    "Direction",
    "Granularity",
    "GroupRate",
    "Insight",
    "MetricDefinition",
    "MetricStatus",
    "Recommendation",
    "RecommendationRule",
    "Status",
    "Targets",
    "ValueFormat",
    "attribute_orders",
    "best_campaign_type",
    "best_send_hour",
    "best_subject_length",
    "best_weekday",
    "breakdown",
    "share_of",
    "with_customer_value",
    "campaign_statistics",
    "compare_groups",
    "compute_rates",
    "counters_from_messages",
    "device_of",
    "evaluate",
    "message_devices",
    "metric",
    "period_start",
    "rank_campaigns",
    "recommend",
    "subject_length_band",
    "subject_length_bands",
    "sum_counters",
    "trend",
    "wilson_interval",
    "with_send_time",
]
