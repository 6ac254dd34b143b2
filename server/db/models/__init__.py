"""Every table, importable from one place so metadata is complete."""

from server.db.models.campaigns import (
    Campaign,
    CampaignBase,
    CampaignCreate,
    CampaignPublic,
    CampaignVariant,
    CampaignVariantBase,
)
from server.db.models.commerce import (
    BEHAVIOR_TYPES,
    CHANNELS,
    BehaviorEvent,
    Order,
    OrderBase,
    OrderCreate,
    Product,
    Spend,
    Touchpoint,
)
from server.db.models.messages import (
    BOUNCE_TYPES,
    EVENT_TYPES,
    EmailEvent,
    Message,
    MessageBase,
    MessageCreate,
)
from server.db.models.ops import (
    JOB_STATES,
    ROLES,
    ROLLUP_COUNTERS,
    ApiKey,
    CampaignDailyRollup,
    JobRun,
)
from server.db.models.people import (
    Customer,
    CustomerBase,
    CustomerCreate,
    CustomerPublic,
    Segment,
    SegmentBase,
    SegmentMember,
)

__all__ = [
    "BEHAVIOR_TYPES", "BOUNCE_TYPES", "CHANNELS", "EVENT_TYPES", "JOB_STATES", "ROLES",
    "ROLLUP_COUNTERS", "ApiKey", "BehaviorEvent", "Campaign", "CampaignBase", "CampaignCreate",
    "CampaignDailyRollup", "CampaignPublic", "CampaignVariant", "CampaignVariantBase",
    "Customer", "CustomerBase", "CustomerCreate", "CustomerPublic", "EmailEvent", "JobRun",
    "Message", "MessageBase", "MessageCreate", "Order", "OrderBase", "OrderCreate", "Product",
    "Segment", "SegmentBase", "SegmentMember", "Spend", "Touchpoint",
]
