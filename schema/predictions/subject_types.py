"""Subject-line scores and variant allocations."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry

from analytics.predictions.optimisation import Recommendation as RecommendationResult
from analytics.predictions.subject_lines import Allocation
from schema.errors import Error, NotFound
from server.runners.optimisation import OptimisationReport as OptimisationResult
from server.runners.subject_lines import SubjectScores


@strawberry.enum(description="How subject lines were scored. OPEN_MODEL: the active open "
                             "model's mean P(open) over the recipients. FALLBACK: no active "
                             "open model serving LightGBM, so the recipients' recent open "
                             "rate moved by documented per-feature effects.")
class SubjectScoring(Enum):
    OPEN_MODEL = "open_model"
    FALLBACK = "fallback"


@strawberry.type(description="One subject line's expected open rate and features.")
class SubjectLineScore:
    subject: str
    expected_open_rate: float
    rank: int = strawberry.field(description="1 = the highest expected open rate.")
    length: int
    words: int
    personalised: bool
    urgency: int = strawberry.field(description="Urgency words such as 'today' or 'last "
                                                "chance'.")
    exclamation: int
    question: int


@strawberry.type(description="Alternative subject lines scored for a campaign's "
                             "recipients or a draft's likely audience.")
class SubjectLineScores:
    method: SubjectScoring
    model_version: strawberry.ID | None
    reason: str
    recipients: int
    send_at: datetime
    scores: list[SubjectLineScore]

    @classmethod
    def from_result(cls, result: SubjectScores) -> SubjectLineScores:
        return cls(method=SubjectScoring(result.method),
                   model_version=(None if result.version_id is None
                                  else strawberry.ID(str(result.version_id))),
                   reason=result.reason, recipients=result.recipients,
                   send_at=result.send_at,
                   scores=[SubjectLineScore(**vars(score)) for score in result.scores])


@strawberry.type(description="A variant's Beta posterior of its open rate (people's "
                             "opens and clicks) and its Thompson-sampling share of the "
                             "next sends.")
class VariantAllocation:
    variant_id: str
    sends: int
    opens: int
    posterior_mean: float
    lower: float = strawberry.field(description="2.5 % quantile of the posterior.")
    upper: float = strawberry.field(description="97.5 % quantile of the posterior.")
    share: float = strawberry.field(description="Share of the next sends (sums to 1).")

    @classmethod
    def from_result(cls, result: Allocation) -> VariantAllocation:
        return cls(variant_id=result.variant, sends=result.sends, opens=result.opens,
                   posterior_mean=result.posterior_mean, lower=result.lower,
                   upper=result.upper, share=result.share)


@strawberry.type(description="The arguments were refused.")
class InvalidSubjectLines(Error):
    pass


@strawberry.type(description="Shares of the next sends across a campaign's variants.")
class VariantAllocations:
    campaign_id: strawberry.ID
    variants: list[VariantAllocation]


ScoreSubjectLinesResult = Annotated[SubjectLineScores | NotFound | InvalidSubjectLines,
                                    strawberry.union("ScoreSubjectLinesResult")]
AllocateVariantsResult = Annotated[VariantAllocations | NotFound | InvalidSubjectLines,
                                   strawberry.union("AllocateVariantsResult")]


@strawberry.type(description="One recommendation: expectedImprovement is the absolute "
                             "gain in open rate (0.012 = 1.2 points); confidence is in "
                             "[0, 1] (see the README's optimisation report).")
class Recommendation:
    recommended: str
    current: str | None
    expected_improvement: float
    confidence: float

    @classmethod
    def from_result(cls, result: RecommendationResult) -> Recommendation:
        return cls(recommended=result.recommended, current=result.current,
                   expected_improvement=result.expected_improvement,
                   confidence=result.confidence)


@strawberry.type(description="When to send, which subject and how personal, for a "
                             "campaign's recipients.")
class OptimisationReport:
    campaign_id: strawberry.ID
    recipients: int = strawberry.field(description="Recipients with a send time.")
    subject_scoring: SubjectScoring
    recipients_by_best_utc_hour: list[int] = strawberry.field(
        description="24 counts: recipients whose best hour is 0, 1, ..., 23 UTC on the "
                    "campaign's date.")
    send_time: Recommendation
    subject: Recommendation
    personalisation: Recommendation

    @classmethod
    def from_result(cls, result: OptimisationResult) -> OptimisationReport:
        return cls(campaign_id=strawberry.ID(result.campaign_id),
                   recipients=result.recipients,
                   subject_scoring=SubjectScoring(result.subject_method),
                   recipients_by_best_utc_hour=result.best_hours_utc,
                   send_time=Recommendation.from_result(result.send_time),
                   subject=Recommendation.from_result(result.subject),
                   personalisation=Recommendation.from_result(result.personalisation))


OptimizeCampaignResult = Annotated[OptimisationReport | NotFound | InvalidSubjectLines,
                                   strawberry.union("OptimizeCampaignResult")]
