"""A/B experiment settings per campaign, and the winner once one is declared."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from server.db.types import UTCDateTime, utcnow

EXPERIMENT_STATUSES = ("running", "decided")
EXPERIMENT_METRICS = ("open_rate", "click_rate", "conversion_rate", "unsubscribe_rate",
                      "complaint_rate", "revenue_per_recipient", "click_to_open_rate")
EXPERIMENT_METHODS = ("fixed", "sequential", "bayesian")
EXPERIMENT_CORRECTIONS = ("holm", "bh", "none")
DEFAULT_GUARDRAILS = ("unsubscribe_rate", "complaint_rate")
WEBHOOK_URL_MAX = 2000


def webhook_url_problem(url: str) -> str | None:
    """Why ``url`` cannot receive the winner webhook, or None when it can."""
    if len(url) > WEBHOOK_URL_MAX:
        return f"is {len(url)} characters long: use a URL of at most {WEBHOOK_URL_MAX}"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError as error:
        return f"is not a URL ({error}): give an address such as https://example.com/hook"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "is not an http(s) URL: give an address such as https://example.com/hook"
    if parts.username or parts.password:
        return ("carries credentials in the URL: put them in the receiving service's "
                "configuration, not in the address")
    return None


class ExperimentBase(SQLModel):
    campaign_id: str = Field(unique=True, max_length=128)
    primary_metric: str = Field(default="click_rate", max_length=32)
    method: str = Field(default="fixed", max_length=16)
    alpha: float = 0.05
    correction: str = Field(default="holm", max_length=8)
    # On effect_scale: 0.02 is a 2% relative lift, or 2 points of a rate when absolute.
    minimum_effect: float = 0.0
    effect_scale: str = Field(default="relative", max_length=8)
    # JSON list of guardrail metric names (higher is worse).
    guardrails: str = Field(default='["unsubscribe_rate", "complaint_rate"]',
                            sa_column=Column(Text, nullable=False))
    # JSON object variant id -> planned weight; None means the campaign_variant weights.
    planned_weights: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    control_variant: str | None = Field(default=None, max_length=64)
    # Days after the send when the test is read as finished (most email engagement
    # happens in the first days); None means it never finishes on its own.
    horizon_days: int | None = 7
    webhook_url: str | None = Field(default=None, max_length=WEBHOOK_URL_MAX)


class Experiment(ExperimentBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(default="running", max_length=16)
    winner_variant: str | None = Field(default=None, max_length=64)
    # The winner's relative lift on the primary metric and its interval when declared:
    # the webhook payload, kept as declared even if later data moves the estimate.
    winner_lift: float | None = None
    winner_lift_low: float | None = None
    winner_lift_high: float | None = None
    forced: bool = False
    decision_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    declared_by: str | None = Field(default=None, max_length=200)
    declared_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    webhook_sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ExperimentCreate(ExperimentBase):
    pass
