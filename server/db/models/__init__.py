"""Every table, importable from one place so metadata is complete."""

from server.db.models.api_keys import ROLES, ApiKey
from server.db.models.audit import AuditEvent
from server.db.models.budget import (
    ALERT_KINDS,
    BudgetAlert,
    BudgetAudit,
    BudgetCostType,
    BudgetPlan,
    BudgetPlanBase,
)
from server.db.models.campaigns import (
    Campaign,
    CampaignBase,
    CampaignCreate,
    CampaignPublic,
    CampaignVariant,
    CampaignVariantBase,
)
from server.db.models.changes import DataChange
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
from server.db.models.experiments import (
    DEFAULT_GUARDRAILS,
    EXPERIMENT_CORRECTIONS,
    EXPERIMENT_METHODS,
    EXPERIMENT_METRICS,
    EXPERIMENT_STATUSES,
    Experiment,
    ExperimentBase,
    ExperimentCreate,
    webhook_url_problem,
)
from server.db.models.jobs import JOB_STATES, JobRun
from server.db.models.messages import (
    BOUNCE_TYPES,
    EVENT_TYPES,
    EmailEvent,
    Message,
    MessageBase,
    MessageCreate,
)
from server.db.models.people import (
    SEGMENT_KINDS,
    Customer,
    CustomerBase,
    CustomerCreate,
    CustomerPublic,
    Segment,
    SegmentBase,
    SegmentMember,
    SegmentMembership,
)
from server.db.models.personalisation import (
    TEMPLATE_KINDS,
    CampaignTemplate,
    ContentTemplate,
    PersonalisationRule,
    VariantChoice,
)
from server.db.models.predictions import (
    MODEL_KINDS,
    SCORED_KINDS,
    SERVED_MODELS,
    CustomerScore,
    ModelVersion,
    ScoreRun,
    ScoreShard,
    SendTimeScore,
)
from server.db.models.privacy import TOMBSTONE_KINDS, ErasureTombstone, PrivacySalt
from server.db.models.profiles import CustomerProfile
from server.db.models.reports import (
    CampaignBreakdownRollup,
    CampaignSegmentRollup,
    MetricTarget,
    ReportCounters,
    ReportRollupState,
)
from server.db.models.rollups import ROLLUP_COUNTERS, CampaignDailyRollup
from server.db.models.triggers import (
    CustomerAttribute,
    TriggerDefinition,
    TriggerFiring,
    TriggerVersion,
)
from server.db.models.webhooks import (
    WEBHOOK_PROVIDERS,
    WebhookDelivery,
    WebhookQuarantine,
    WebhookToken,
)

__all__ = [
    "BEHAVIOR_TYPES", "BOUNCE_TYPES", "CHANNELS", "EVENT_TYPES", "JOB_STATES", "ROLES",
    "ROLLUP_COUNTERS", "ApiKey", "AuditEvent", "BehaviorEvent", "Campaign", "CampaignBase",
    "CampaignCreate",
    "CampaignDailyRollup", "CampaignPublic", "DataChange", "CampaignVariant", "CampaignVariantBase",
    "Customer", "CustomerBase", "CustomerCreate", "CustomerPublic", "EmailEvent", "JobRun",
    "Message", "MessageBase", "MessageCreate", "MetricTarget", "Order", "OrderBase",
    "OrderCreate", "Product", "CampaignBreakdownRollup", "CampaignSegmentRollup",
    "ReportCounters", "ReportRollupState",
    "Segment", "SegmentBase", "SegmentMember", "Spend", "Touchpoint",
    "SEGMENT_KINDS", "CustomerProfile", "SegmentMembership",
    "DEFAULT_GUARDRAILS", "EXPERIMENT_CORRECTIONS", "EXPERIMENT_METHODS", "EXPERIMENT_METRICS",
    "EXPERIMENT_STATUSES", "Experiment", "ExperimentBase", "ExperimentCreate",
    "webhook_url_problem",
    "ALERT_KINDS", "BudgetAlert", "BudgetAudit", "BudgetCostType", "BudgetPlan",
    "BudgetPlanBase",
    "WEBHOOK_PROVIDERS", "WebhookDelivery", "WebhookQuarantine", "WebhookToken",
    "TriggerDefinition", "TriggerFiring", "TriggerVersion", "CustomerAttribute",
    "MODEL_KINDS", "SCORED_KINDS", "SERVED_MODELS", "CustomerScore", "ModelVersion",
    "ScoreRun", "ScoreShard", "SendTimeScore",
    "TEMPLATE_KINDS", "CampaignTemplate", "ContentTemplate", "PersonalisationRule",
    "VariantChoice",
    "TOMBSTONE_KINDS", "ErasureTombstone", "PrivacySalt",
]
