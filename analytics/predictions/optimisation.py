"""The optimisation report of a campaign: when to send, which subject, how personal.

Each recommendation carries its expected improvement in open rate (absolute, e.g.
0.012 = 1.2 points) and a confidence in [0, 1]:

- send time: the UTC hour that reaches most recipients at (within an hour of) their best
  local hour (ties go to the hour that is most recipients' very best); the improvement
  is the gain in that share times ``best_hour_lift`` (how much better people's engaged
  share was, in the history, within an hour of their best hour than at other hours); the
  confidence is the recipients' mean own weight (how much their best hours rest on their
  own sends rather than their segment's);
- subject and personalisation: the improvement is the difference in expected open rate;
  the confidence is P(the better one is truly better) under a normal approximation of
  two open rates measured on the recipients, Φ(d / √(p₁(1−p₁)/n + p₂(1−p₂)/n)).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
from scipy.stats import norm

from analytics.predictions.send_time import known_zone


@dataclass(frozen=True)
class Recommendation:
    """One recommendation: what to do, against what the campaign does now."""

    kind: str  # send_time, subject or personalisation
    recommended: str
    current: str | None
    expected_improvement: float
    confidence: float


def utc_hours(local_hours: Sequence[int], zones: Sequence[str | None],
              on: datetime) -> np.ndarray:
    """Each local hour in its zone (UTC when unknown) as a UTC hour on the date ``on``
    (so daylight saving time in force then counts)."""
    offsets: dict[str, float] = {}
    result = np.empty(len(local_hours), dtype=np.int64)
    for i, (hour, zone) in enumerate(zip(local_hours, zones, strict=True)):
        name = known_zone(zone)
        if name not in offsets:
            delta = on.astimezone(ZoneInfo(name)).utcoffset()
            offsets[name] = 0.0 if delta is None else delta.total_seconds() / 3600
        result[i] = int(round(hour - offsets[name])) % 24
    return result


def _near(hours: np.ndarray, target: int) -> np.ndarray:
    gap = np.abs(hours - target)
    return np.asarray(np.minimum(gap, 24 - gap) <= 1, dtype=bool)


def best_hour_lift(local: pl.DataFrame, best: pl.DataFrame) -> float:
    """Engaged share of sends that went out within an hour of the customer's best local
    hour minus that of the others (``local``: customer_id, hour, engaged; ``best``:
    customer_id, best_send_hour); 0 when either group is empty."""
    joined = local.join(best, on="customer_id")
    if joined.is_empty():
        return 0.0
    hours = joined["hour"].to_numpy()
    gap = np.abs(hours - joined["best_send_hour"].to_numpy())
    near = np.minimum(gap, 24 - gap) <= 1
    engaged = joined["engaged"].cast(pl.Float64).to_numpy()
    if near.all() or not near.any():
        return 0.0
    return float(engaged[near].mean() - engaged[~near].mean())


def send_time_recommendation(best_utc: np.ndarray, own_weight: np.ndarray,
                             current_hour: int | None, lift: float) -> Recommendation:
    """The UTC hour reaching most recipients within an hour of their best hour."""
    if best_utc.size == 0:
        raise ValueError("the campaign has no recipients with a send time; compute send "
                         "times first (`mailscope score send-time`)")
    reach = np.array([_near(best_utc, hour).mean() for hour in range(24)])
    exact = np.array([(best_utc == hour).mean() for hour in range(24)])
    # Among hours of equal reach, the one that is most recipients' very best hour.
    hour = int(np.argmax(reach + 1e-3 * exact))
    now = 0.0 if current_hour is None else float(reach[current_hour])
    return Recommendation(
        kind="send_time", recommended=f"{hour:02d}:00 UTC",
        current=None if current_hour is None else f"{current_hour:02d}:00 UTC",
        expected_improvement=max(0.0, lift) * (float(reach[hour]) - now),
        confidence=float(np.clip(own_weight.mean(), 0.0, 1.0)))


def comparison_confidence(better: float, worse: float, n: int) -> float:
    """P(``better`` is truly above ``worse``), both open rates measured on ``n``
    recipients (normal approximation)."""
    if n <= 0:
        return 0.5
    spread = math.sqrt((better * (1 - better) + worse * (1 - worse)) / n)
    if spread == 0:
        return 1.0 if better > worse else 0.5
    return float(norm.cdf((better - worse) / spread))


def choice_recommendation(kind: str, options: Sequence[tuple[str, float]],
                          current: tuple[str, float] | None, n: int) -> Recommendation:
    """The option with the highest expected open rate against ``current`` (or the
    runner-up when there is no current choice)."""
    if not options:
        raise ValueError(f"{kind}: no options to choose from")
    ranked = sorted(options, key=lambda item: -item[1])
    best = ranked[0]
    against = current if current is not None else (ranked[1] if len(ranked) > 1 else best)
    return Recommendation(
        kind=kind, recommended=best[0], current=None if current is None else current[0],
        expected_improvement=max(0.0, best[1] - against[1]),
        confidence=comparison_confidence(best[1], against[1], n))
