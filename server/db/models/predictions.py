"""Predictive models: trained versions (the registry), scoring runs and their scores."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary, Text
from sqlmodel import Field, SQLModel

from server.db.types import UTCDateTime, utcnow

MODEL_KINDS = ("churn", "ltv", "open", "click")
# Kinds scored per customer; open and click score (customer, campaign) pairs on demand.
SCORED_KINDS = ("churn", "ltv")
SERVED_MODELS = ("lightgbm", "baseline")


class ModelVersion(SQLModel, table=True):
    """One trained model. Written whole in one transaction when training ends, so a
    worker killed mid-training leaves no row; at most one version per kind is active."""

    __tablename__ = "model_version"
    __table_args__ = (Index("ix_model_version_kind_active", "kind", "active"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    served: str = Field(max_length=16)
    # Why the served model was chosen (LightGBM beat the baseline, or did not).
    reason: str = Field(sa_column=Column(Text, nullable=False))
    # JSON: {"model": {...}, "baseline": {...}} holdout metrics, calibration bins,
    # feature importance, the feature names, and training settings.
    metrics: str = Field(sa_column=Column(Text, nullable=False))
    calibration: str = Field(sa_column=Column(Text, nullable=False))
    importance: str = Field(sa_column=Column(Text, nullable=False))
    features: str = Field(sa_column=Column(Text, nullable=False))
    # Training data window: features from data_from, labels up to data_to (= as_of).
    data_from: datetime | None = Field(default=None, sa_type=UTCDateTime)
    train_cutoff: datetime = Field(sa_type=UTCDateTime)
    holdout_cutoff: datetime = Field(sa_type=UTCDateTime)
    data_to: datetime = Field(sa_type=UTCDateTime)
    horizon_days: int
    train_rows: int
    holdout_rows: int
    artifact: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    checksum: str = Field(max_length=64)
    active: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    activated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    job_id: int | None = None


class ScoreRun(SQLModel, table=True):
    """One scoring of one version over the customers as of ``as_of``, split in shards.
    Its scores become visible together, when ``completed_at`` is set by the transaction
    that writes the last shard."""

    __tablename__ = "score_run"

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="model_version.id", index=True)
    kind: str = Field(max_length=32)
    as_of: datetime = Field(sa_type=UTCDateTime)
    shards: int
    rows: int = 0
    # JSON {feature: population stability index} against the training population.
    drift: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ScoreShard(SQLModel, table=True):
    """A shard of a run whose scores are written (in the same transaction as they)."""

    __tablename__ = "score_shard"

    run_id: int = Field(primary_key=True, foreign_key="score_run.id")
    shard: int = Field(primary_key=True)
    rows: int
    finished_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CustomerScore(SQLModel, table=True):
    """A customer's score in one run. Readers pick one run per kind, never a mix."""

    __tablename__ = "customer_score"
    __table_args__ = (Index("ix_customer_score_customer", "customer_id"),)

    run_id: int = Field(primary_key=True, foreign_key="score_run.id")
    customer_id: str = Field(primary_key=True, max_length=128)
    shard: int
    # churn: the probability and its risk level.
    probability: float | None = None
    risk_level: str | None = Field(default=None, max_length=16)
    # ltv: expected orders and revenue over the version's horizon, P(still active).
    expected_orders: float | None = None
    predicted_value: float | None = None
    p_alive: float | None = None


class SendTimeScore(SQLModel, table=True):
    """A customer's best local send hour and weekday; the table is replaced whole by
    each computation, so readers never see a mix of two."""

    __tablename__ = "send_time_score"

    customer_id: str = Field(primary_key=True, max_length=128)
    best_hour: int  # local hour, 0-23, in ``timezone``
    best_weekday: int  # ISO weekday, 1 = Monday
    timezone: str = Field(max_length=64)
    # customer (their own history, shrunk), segment or global.
    source: str = Field(max_length=16)
    segment: str = Field(max_length=64)
    sends: int
    engaged_sends: int
    own_weight: float
    computed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
