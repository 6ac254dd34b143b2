"""Send time: compute every customer's best local send hour and weekday from the stored
sends and write them in one transaction; read them back for a customer, the export and
the pages.

The segment a thin history is shrunk towards is the customer's country (customers
without one share a segment), the one grouping every store has.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import polars as pl
from sqlalchemy import Engine
from sqlmodel import Session

from analytics.predictions.send_time import send_times
from server.db.repository import predictions as repo
from server.db.types import utcnow

Progress = Callable[[float, str], None]


def _quiet(_share: float, _detail: str) -> None:
    return None


@dataclass(frozen=True)
class SendTimeSummary:
    """What a computation wrote: rows, customers per source, the empirical-Bayes prior
    strengths (pseudo-sends) and the global best local hour and ISO weekday."""

    rows: int
    sources: dict[str, int]
    hour_strength: float
    weekday_strength: float
    global_hour: int
    global_weekday: int


def compute_send_times(engine: Engine, *, progress: Progress = _quiet) -> SendTimeSummary:
    """Recompute and replace every customer's send time. Safe to run twice."""
    progress(0.1, "reading sends and customers")
    inputs = repo.read_send_time_inputs(engine=engine)
    audience = inputs["audience"].select(
        "customer_id", "timezone", segment=pl.col("country").fill_null(""))
    progress(0.4, f"estimating send times of {audience.height:,} customers")
    fit = send_times(inputs["sends"], audience)
    rows = (fit.scores.join(audience.select("customer_id", "segment"), on="customer_id")
            .select("customer_id", best_hour="best_send_hour",
                    best_weekday="best_send_weekday", timezone="timezone",
                    source="source", segment="segment", sends="sends",
                    engaged_sends="engaged_sends", own_weight="own_weight")
            .with_columns(computed_at=pl.lit(utcnow(), pl.Datetime("us", "UTC"))))
    progress(0.8, "writing send times")
    written = repo.replace_send_times(engine=engine, scores=rows)
    counts = fit.scores["source"].value_counts()
    progress(1.0, f"{written:,} send times written")
    return SendTimeSummary(rows=written,
                           sources={str(k): int(v) for k, v in counts.iter_rows()},
                           hour_strength=fit.hour_strength,
                           weekday_strength=fit.weekday_strength,
                           global_hour=fit.global_hour, global_weekday=fit.global_weekday)


@dataclass(frozen=True)
class SendTimeView:
    """A customer's best local send hour (0–23) and ISO weekday in ``timezone``."""

    best_hour: int
    best_weekday: int
    timezone: str
    source: str
    own_weight: float
    computed_at: datetime


def customer_send_time(engine: Engine, customer_id: str) -> SendTimeView | None:
    """The customer's send time (None before the first computation or for an unknown
    customer)."""
    with Session(engine, expire_on_commit=False) as session:
        row = repo.customer_send_time(session=session, customer_id=customer_id)
    if row is None:
        return None
    return SendTimeView(best_hour=row.best_hour, best_weekday=row.best_weekday,
                        timezone=row.timezone, source=row.source, own_weight=row.own_weight,
                        computed_at=row.computed_at)


def best_send_hours(engine: Engine) -> pl.DataFrame:
    """``customer_id`` and ``best_send_hour`` (local) of every customer with a send time."""
    return repo.send_time_frame(engine=engine).select(
        "customer_id", best_send_hour="best_hour")


@dataclass(frozen=True)
class SendTimeOverview:
    """The latest computation: when, customers per source, customers per best local
    hour (24 counts) and per best ISO weekday (7 counts, Monday first)."""

    computed_at: datetime | None
    customers: int
    sources: dict[str, int]
    hours: list[int]
    weekdays: list[int]


def send_time_overview(engine: Engine) -> SendTimeOverview:
    """A summary of every stored send time (zeros before the first computation)."""
    frame = repo.send_time_frame(engine=engine)
    hours = frame["best_hour"].to_numpy()
    days = frame["best_weekday"].to_numpy()
    counts = frame["source"].value_counts()
    return SendTimeOverview(
        computed_at=None if frame.is_empty() else frame["computed_at"].max(),  # type: ignore[arg-type]
        customers=frame.height,
        sources={str(k): int(v) for k, v in counts.iter_rows()},
        hours=[int((hours == h).sum()) for h in range(24)],
        weekdays=[int((days == d).sum()) for d in range(1, 8)])
