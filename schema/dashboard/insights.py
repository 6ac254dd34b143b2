"""GraphQL types for insights, recommendations and campaign rankings."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry

from analytics.metrics import GroupRate, Insight, Recommendation
from schema.metrics import Metric, TargetStatus, optional_float
from server.runners.insights import group_label


@strawberry.enum
class InsightKind(Enum):
    WEEKDAY = "weekday"
    SEND_HOUR = "send_hour"
    SUBJECT_LENGTH = "subject_length"
    CAMPAIGN_TYPE = "campaign_type"


@strawberry.type(description="A group's rate with its sample size and confidence interval.")
class InsightGroup:
    key: str
    label: str
    successes: int
    trials: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    eligible: bool = strawberry.field(
        description="False when the group has too few trials to be compared.")

    @classmethod
    def from_group(cls, kind: str, group: GroupRate) -> InsightGroup:
        return cls(key=str(group.key), label=group_label(kind, group.key),
                   successes=group.successes, trials=group.trials,
                   rate=optional_float(group.rate), ci_low=optional_float(group.ci_low),
                   ci_high=optional_float(group.ci_high), eligible=group.eligible)


@strawberry.type(description="Which group does best, called best only when its confidence "
                             "interval clears every other group's.")
class InsightResult:
    kind: InsightKind
    metric: Metric
    confidence: float
    min_sample: int
    sample_size: int
    best: InsightGroup | None = strawberry.field(
        description="Null unless the evidence is clear; see reason.")
    leader: InsightGroup | None = strawberry.field(
        description="The highest point estimate, clear or not.")
    runner_up: InsightGroup | None
    reason: str
    groups: list[InsightGroup]

    @classmethod
    def from_insight(cls, kind: str, insight: Insight) -> InsightResult:
        def group(value: GroupRate | None) -> InsightGroup | None:
            return None if value is None else InsightGroup.from_group(kind, value)

        return cls(kind=InsightKind(kind), metric=Metric(insight.metric),
                   confidence=insight.confidence, min_sample=insight.min_sample,
                   sample_size=insight.sample_size, best=group(insight.best),
                   leader=group(insight.leader), runner_up=group(insight.runner_up),
                   reason=insight.reason,
                   groups=[InsightGroup.from_group(kind, g) for g in insight.groups])


@strawberry.enum
class RecommendationCategory(Enum):
    DELIVERABILITY = "deliverability"
    ENGAGEMENT = "engagement"
    CONTENT = "content"
    RETENTION = "retention"
    REVENUE = "revenue"


@strawberry.enum
class Priority(Enum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@strawberry.type(description="What to change, triggered by a metric missing its target.")
class RecommendationItem:
    category: RecommendationCategory
    metric: Metric
    status: TargetStatus
    priority: Priority
    evidence: str
    actions: list[str]

    @classmethod
    def from_recommendation(cls, item: Recommendation) -> RecommendationItem:
        return cls(category=RecommendationCategory(item.category), metric=Metric(item.metric),
                   status=TargetStatus(item.status), priority=Priority(item.priority),
                   evidence=item.evidence, actions=list(item.actions))


@strawberry.type
class RankedCampaign:
    rank: int
    campaign_id: strawberry.ID
    name: str | None
    campaign_type: str | None
    value: float | None
    sent: int
    delivered: int

    @classmethod
    def from_row(cls, row: dict[str, Any], metric: str) -> RankedCampaign:
        return cls(rank=int(row["rank"]), campaign_id=strawberry.ID(row["campaign_id"]),
                   name=row.get("name"), campaign_type=row.get("campaign_type"),
                   value=optional_float(row.get(metric)), sent=int(row["sent"]),
                   delivered=int(row["delivered"]))
