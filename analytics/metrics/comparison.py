"""Comparing a rate across groups, calling a winner only when the intervals allow it."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from analytics.metrics.counters import counters_from_messages, require_columns
from analytics.metrics.definitions import MetricDefinition, ValueFormat, metric
from analytics.metrics.intervals import wilson_interval

DEFAULT_MIN_SAMPLE = 100


@dataclass(frozen=True)
class GroupRate:
    """A group's rate with its sample size and Wilson interval (null when it has no sends).

    ``eligible`` is false when the group has fewer than ``min_sample`` trials; such groups
    are reported but take no part in choosing the best group.
    """

    key: str | int
    successes: int
    trials: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    eligible: bool


@dataclass(frozen=True)
class Insight:
    """Which group of ``dimension`` does best on ``metric``, if the evidence says so.

    ``leader`` and ``runner_up`` are the eligible groups with the best and second-best
    point estimates. ``best`` is the leader only when its interval lies entirely on the
    better side of every other eligible group's interval (for higher-is-better metrics:
    its lower bound exceeds every other upper bound); otherwise it is ``None`` and
    ``reason`` says why. ``sample_size`` is the total number of trials over all groups.
    """

    dimension: str
    metric: str
    confidence: float
    min_sample: int
    sample_size: int
    groups: tuple[GroupRate, ...]
    leader: GroupRate | None
    runner_up: GroupRate | None
    best: GroupRate | None
    reason: str


def _proportion_metric(name: str) -> MetricDefinition:
    definition = metric(name)
    if definition.format is not ValueFormat.PERCENT:
        raise ValueError(f"{name} is not a proportion of sends; choose a rate metric")
    return definition


def _group_counts(
    frame: pl.DataFrame, dimension: str, definition: MetricDefinition
) -> pl.DataFrame:
    num, den = definition.numerator, definition.denominator
    if den not in frame.columns and "delivered_at" in frame.columns:
        frame = counters_from_messages(frame, by=[dimension])
    require_columns(frame, [dimension, num, den], what="counters frame")
    return (
        frame.filter(pl.col(dimension).is_not_null())
        .group_by(dimension)
        .agg(pl.col(num).fill_null(0).sum(), pl.col(den).fill_null(0).sum())
        .sort(dimension)
    )


def _group_rate(
    key: str | int, successes: int, trials: int, confidence: float, min_sample: int
) -> GroupRate:
    if trials > 0 and successes > trials:
        raise ValueError(
            f"group {key!r} has {successes} successes out of {trials} trials; a confidence "
            "interval needs successes <= trials (count converting sends, not orders)"
        )
    low: float | None = None
    high: float | None = None
    if trials:
        low, high = wilson_interval(successes, trials, confidence=confidence)
    return GroupRate(
        key=key,
        successes=successes,
        trials=trials,
        rate=successes / trials if trials else None,
        ci_low=low,
        ci_high=high,
        eligible=trials >= max(min_sample, 1),
    )


def compare_groups(
    counters: pl.DataFrame,
    dimension: str,
    metric_name: str,
    *,
    confidence: float = 0.95,
    min_sample: int = DEFAULT_MIN_SAMPLE,
) -> Insight:
    """Compare ``metric_name`` across the values of ``dimension``.

    ``counters`` holds the metric's counter columns per row (any grain: per send, per
    campaign, per group) plus ``dimension``; a message frame is aggregated first. Rows
    with a null ``dimension`` are left out. Groups with fewer than ``min_sample`` trials
    (denominator) are reported but not compared. The decision rule: the leader is "best"
    only when its Wilson interval at ``confidence`` does not overlap the interval of any
    other eligible group, a deliberately conservative rule that does not need a
    multiple-comparison correction.
    """
    definition = _proportion_metric(metric_name)
    counts = _group_counts(counters, dimension, definition)
    groups = tuple(
        _group_rate(key, int(successes), int(trials), confidence, min_sample)
        for key, successes, trials in counts.iter_rows()
    )
    eligible = sorted(
        (group for group in groups if group.eligible),
        key=lambda group: group.rate or 0.0,
        reverse=definition.higher_is_better,
    )
    leader = eligible[0] if eligible else None
    runner_up = eligible[1] if len(eligible) > 1 else None
    best, reason = _decide(definition, eligible, min_sample, confidence)
    return Insight(
        dimension=dimension,
        metric=metric_name,
        confidence=confidence,
        min_sample=min_sample,
        sample_size=sum(group.trials for group in groups),
        groups=groups,
        leader=leader,
        runner_up=runner_up,
        best=best,
        reason=reason,
    )


def _bounds(group: GroupRate) -> tuple[float, float]:
    """The Wilson interval of a ranked group: ranked groups are eligible, so they have trials
    and therefore an interval."""
    if group.ci_low is None or group.ci_high is None:
        raise ValueError(f"group {group.key!r} has no trials, so no interval to compare")
    return group.ci_low, group.ci_high


def _decide(
    definition: MetricDefinition, ranked: list[GroupRate], min_sample: int, confidence: float
) -> tuple[GroupRate | None, str]:
    if len(ranked) < 2:
        return None, f"fewer than two groups have at least {min_sample} {definition.denominator}"
    leader, others = ranked[0], ranked[1:]
    level = f"{confidence:.0%}"
    if definition.higher_is_better:
        bound, rival = _bounds(leader)[0], max(_bounds(group)[1] for group in others)
        separated = bound > rival
        own, relation, other = "lower", "above", "highest upper"
    else:
        bound, rival = _bounds(leader)[1], min(_bounds(group)[0] for group in others)
        separated = bound < rival
        own, relation, other = "upper", "below", "lowest lower"
    facts = f"{leader.key}'s {level} {own} bound {bound:.4f}"
    versus = f"the {other} bound of the other groups, {rival:.4f}"
    if separated:
        return leader, f"{facts} is {relation} {versus}"
    return None, f"no clear best: {facts} is not {relation} {versus}"
