"""The metric table: every rate Mailscope reports, defined as data."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum


class Direction(StrEnum):
    """Which way a metric should move."""

    HIGHER = "higher"
    LOWER = "lower"


class ValueFormat(StrEnum):
    """How a metric value is displayed and which targets make sense for it."""

    PERCENT = "percent"
    CURRENCY = "currency"


@dataclass(frozen=True)
class MetricDefinition:
    """One rate: ``numerator / denominator`` over counter columns.

    ``bounded`` is true when the numerator counts a subset of the denominator's sends, so
    the value always lies in [0, 1] on consistent counters.
    """

    name: str
    numerator: str
    denominator: str
    direction: Direction
    default_target: float | None
    label: str
    format: ValueFormat
    bounded: bool

    @property
    def higher_is_better(self) -> bool:
        return self.direction is Direction.HIGHER

    @property
    def target_range(self) -> tuple[float, float]:
        """The closed range a target for this metric must lie in."""
        return (0.0, 1.0) if self.format is ValueFormat.PERCENT else (0.0, math.inf)

    def format_value(self, value: float) -> str:
        """``value`` as shown to people: ``2.50%`` for shares, ``0.45`` for money."""
        if self.format is ValueFormat.PERCENT:
            return f"{value:.2%}"
        return f"{value:,.2f}"


_H, _L = Direction.HIGHER, Direction.LOWER
_P, _C = ValueFormat.PERCENT, ValueFormat.CURRENCY

METRICS: tuple[MetricDefinition, ...] = (
    MetricDefinition("delivery_rate", "delivered", "sent", _H, 0.98, "Delivery rate", _P, True),
    MetricDefinition("bounce_rate", "bounced", "sent", _L, 0.02, "Bounce rate", _P, True),
    MetricDefinition(
        "hard_bounce_rate", "hard_bounced", "sent", _L, None, "Hard bounce rate", _P, True
    ),
    MetricDefinition(
        "soft_bounce_rate", "soft_bounced", "sent", _L, None, "Soft bounce rate", _P, True
    ),
    MetricDefinition("open_rate", "unique_opens", "delivered", _H, 0.22, "Open rate", _P, True),
    MetricDefinition(
        "human_open_rate",
        "human_unique_opens",
        "delivered",
        _H,
        None,
        "Human open rate",
        _P,
        True,
    ),
    MetricDefinition("click_rate", "unique_clicks", "delivered", _H, 0.03, "Click rate", _P, True),
    # Not bounded: a click is recorded without an open when the client blocks the pixel.
    MetricDefinition(
        "click_to_open_rate",
        "unique_clicks",
        "unique_opens",
        _H,
        0.15,
        "Click-to-open rate",
        _P,
        False,
    ),
    MetricDefinition(
        "unsubscribe_rate", "unsubscribed", "delivered", _L, 0.005, "Unsubscribe rate", _P, True
    ),
    MetricDefinition(
        "complaint_rate", "complained", "delivered", _L, 0.001, "Complaint rate", _P, True
    ),
    # Not bounded: one message can lead to several conversions.
    MetricDefinition(
        "conversion_rate", "conversions", "delivered", _H, 0.02, "Conversion rate", _P, False
    ),
    MetricDefinition(
        "revenue_per_email", "revenue", "delivered", _H, 0.50, "Revenue per email", _C, False
    ),
    MetricDefinition(
        "revenue_per_recipient",
        "revenue",
        "sent",
        _H,
        None,
        "Revenue per recipient",
        _C,
        False,
    ),
)

METRIC_NAMES: tuple[str, ...] = tuple(metric.name for metric in METRICS)
_BY_NAME = {metric.name: metric for metric in METRICS}

COUNTER_LABELS: dict[str, str] = {
    "sent": "sent",
    "delivered": "delivered",
    "unique_opens": "unique opens",
}


def metric(name: str) -> MetricDefinition:
    """The definition named ``name``; ValueError listing the known names otherwise."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(
            f"unknown metric {name!r}; choose one of {', '.join(METRIC_NAMES)}"
        ) from None
