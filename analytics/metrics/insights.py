"""Named insights: best weekday, send hour, subject length and campaign type."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import polars as pl

from analytics.metrics.comparison import DEFAULT_MIN_SAMPLE, Insight, compare_groups
from analytics.metrics.counters import require_columns

if TYPE_CHECKING:
    # The when/then chain's own types: the first branch and every later one differ.
    from polars.expr.whenthen import ChainedThen, Then

DEFAULT_SUBJECT_EDGES: tuple[int, ...] = (30, 50, 70)


def with_send_time(
    messages: pl.DataFrame, *, time_zone: str = "UTC", sent_at: str = "sent_at"
) -> pl.DataFrame:
    """Add ``weekday`` (1 = Monday ... 7 = Sunday) and ``hour`` (0-23) of ``sent_at``.

    Both are read on the wall clock of ``time_zone`` (an IANA name), the audience's local
    time being what makes a send hour good or bad.
    """
    require_columns(messages, [sent_at], what="messages frame")
    local = pl.col(sent_at).dt.convert_time_zone(time_zone)
    return messages.with_columns(
        local.dt.weekday().cast(pl.Int64).alias("weekday"),
        local.dt.hour().cast(pl.Int64).alias("hour"),
    )


def subject_length_bands(edges: Sequence[int] = DEFAULT_SUBJECT_EDGES) -> list[str]:
    """Band labels for ``edges``: ``["<30", "30-49", "50-69", "70+"]`` for the default."""
    edges = list(edges)
    if not edges or any(e <= 0 for e in edges) or edges != sorted(set(edges)):
        raise ValueError(f"edges must be increasing positive character counts; got {edges}")
    inner = [f"{low}-{high - 1}" for low, high in zip(edges, edges[1:], strict=False)]
    return [f"<{edges[0]}", *inner, f"{edges[-1]}+"]


def subject_length_band(
    subject: pl.Expr, edges: Sequence[int] = DEFAULT_SUBJECT_EDGES
) -> pl.Expr:
    """The length band (an ordered ``pl.Enum``) of each subject line, in characters."""
    labels = subject_length_bands(edges)
    length = subject.str.len_chars()
    band: Then | ChainedThen = pl.when(length.is_null()).then(pl.lit(None, dtype=pl.String))
    for upper, label in zip(edges, labels, strict=False):
        band = band.when(length < upper).then(pl.lit(label))
    return band.otherwise(pl.lit(labels[-1])).cast(pl.Enum(labels))


def best_weekday(
    counters: pl.DataFrame,
    *,
    metric: str = "open_rate",
    confidence: float = 0.95,
    min_sample: int = DEFAULT_MIN_SAMPLE,
) -> Insight:
    """The weekday (column ``weekday``, 1 = Monday) with the best open rate, if clear.

    ``counters`` is a message frame or counters with a ``weekday`` column; see
    :func:`with_send_time` and :func:`compare_groups` for the rule.
    """
    return compare_groups(
        counters, "weekday", metric, confidence=confidence, min_sample=min_sample
    )


def best_send_hour(
    counters: pl.DataFrame,
    *,
    metric: str = "open_rate",
    confidence: float = 0.95,
    min_sample: int = DEFAULT_MIN_SAMPLE,
) -> Insight:
    """The send hour (column ``hour``, 0-23) with the best open rate, if clear."""
    return compare_groups(counters, "hour", metric, confidence=confidence, min_sample=min_sample)


def best_subject_length(
    counters: pl.DataFrame,
    *,
    subject_column: str = "subject",
    edges: Sequence[int] = DEFAULT_SUBJECT_EDGES,
    metric: str = "open_rate",
    confidence: float = 0.95,
    min_sample: int = DEFAULT_MIN_SAMPLE,
) -> Insight:
    """The subject-length band (``<30``, ``30-49``, ``50-69``, ``70+`` by default) with
    the best open rate, if clear; ``counters`` has one subject per row (e.g. per campaign).
    """
    require_columns(counters, [subject_column], what="counters frame")
    banded = counters.with_columns(
        subject_length_band(pl.col(subject_column), edges).alias("subject_length")
    )
    return compare_groups(
        banded, "subject_length", metric, confidence=confidence, min_sample=min_sample
    )


def best_campaign_type(
    counters: pl.DataFrame,
    *,
    column: str = "campaign_type",
    metric: str = "conversion_rate",
    confidence: float = 0.95,
    min_sample: int = DEFAULT_MIN_SAMPLE,
) -> Insight:
    """The campaign type with the best conversion rate, if clear.

    Conversions must not exceed delivered sends in any type (the interval is for a
    proportion); count converting sends rather than orders when a send can convert twice.
    """
    return compare_groups(counters, column, metric, confidence=confidence, min_sample=min_sample)
