"""Per-variant summary numbers, the only inputs the experiment engine needs."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class ProportionSummary:
    """One variant of a rate metric: ``conversions`` of ``n`` recipients converted."""

    name: str
    n: int
    conversions: int

    @property
    def rate(self) -> float:
        return self.conversions / self.n


@dataclass(frozen=True)
class MeanSummary:
    """One variant of a per-recipient metric (revenue): ``n``, ``sum`` and ``sum_squares``."""

    name: str
    n: int
    sum: float
    sum_squares: float

    @property
    def mean(self) -> float:
        return self.sum / self.n

    @property
    def variance(self) -> float:
        """Sample variance (ddof=1) of one recipient's value."""
        # Subtracting n * mean**2 can go a hair below zero for constant data.
        return max(0.0, (self.sum_squares - self.sum * self.mean) / (self.n - 1))


@dataclass(frozen=True)
class RatioSummary:
    """One variant of a ratio metric sum(x) / sum(y), both varying per recipient.

    For click-to-open, ``x`` is a recipient's clicks and ``y`` their opens; ``sum_x2``,
    ``sum_y2`` and ``sum_xy`` are the sums of x², y² and x·y over recipients.
    """

    name: str
    n: int
    sum_x: float
    sum_y: float
    sum_x2: float
    sum_y2: float
    sum_xy: float

    @property
    def ratio(self) -> float:
        return self.sum_x / self.sum_y


@dataclass(frozen=True)
class Interval:
    """A closed interval ``[low, high]``; infinite ends mean "not bounded yet"."""

    low: float
    high: float

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    @property
    def bounded(self) -> bool:
        return math.isfinite(self.low) and math.isfinite(self.high)


Summary = ProportionSummary | MeanSummary
