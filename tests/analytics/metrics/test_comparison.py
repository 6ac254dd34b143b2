from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from analytics.metrics import GroupRate, compare_groups
from tests.analytics.metrics.support import counters

WEEKDAYS = counters(
    weekday=[1, 2, 3, 4, 5, 6, 7],
    delivered=[1000, 1000, 1000, 1000, 1000, 50, 1000],
    unique_opens=[300, 200, 210, 190, 205, 40, 180],
    unsubscribed=[9, 2, 3, 2, 2, 0, 8],
)
CLOSE = counters(weekday=[1, 2, 3], delivered=[1000, 1000, 0], unique_opens=[230, 200, 0])


def wilson(successes: int, trials: int) -> tuple[float, float]:
    return proportion_confint(successes, trials, alpha=0.05, method="wilson")


def test_clear_best_weekday() -> None:
    insight = compare_groups(WEEKDAYS, "weekday", "open_rate")
    assert [g.key for g in insight.groups] == [1, 2, 3, 4, 5, 6, 7]
    assert insight.sample_size == 6050
    monday = insight.groups[0]
    assert (monday.successes, monday.trials, monday.rate, monday.eligible) == (300, 1000, 0.3, True)
    assert (monday.ci_low, monday.ci_high) == pytest.approx(wilson(300, 1000), abs=1e-9)
    # Saturday has the highest rate but only 50 sends: reported, not compared.
    saturday = insight.groups[5]
    assert (saturday.rate, saturday.eligible) == (0.8, False)
    assert insight.best == insight.leader == monday
    assert insight.runner_up is not None and insight.runner_up.key == 3
    assert insight.reason == (
        "1's 95% lower bound 0.2724 is above the highest upper bound of the other groups, 0.2363"
    )


def test_overlapping_intervals_name_no_best() -> None:
    insight = compare_groups(CLOSE, "weekday", "open_rate")
    assert insight.best is None
    assert insight.leader is not None and insight.leader.key == 1
    assert insight.runner_up is not None and insight.runner_up.key == 2
    assert insight.groups[2] == GroupRate(
        key=3, successes=0, trials=0, rate=None, ci_low=None, ci_high=None, eligible=False
    )
    assert insight.reason == (
        "no clear best: 1's 95% lower bound 0.2050 is not above the highest upper bound of "
        "the other groups, 0.2259"
    )


def test_lower_is_better_metric_picks_the_lowest() -> None:
    insight = compare_groups(WEEKDAYS, "weekday", "unsubscribe_rate", confidence=0.9)
    assert insight.leader is not None and insight.leader.key == 2
    assert insight.best is None
    assert insight.reason.startswith("no clear best: 2's 90% upper bound")


def test_needs_two_eligible_groups() -> None:
    insight = compare_groups(WEEKDAYS, "weekday", "open_rate", min_sample=2000)
    assert insight.best is None and insight.leader is None
    assert insight.reason == "fewer than two groups have at least 2000 delivered"


def test_invalid_inputs() -> None:
    with pytest.raises(ValueError, match="revenue_per_email is not a proportion"):
        compare_groups(WEEKDAYS, "weekday", "revenue_per_email")
    with pytest.raises(ValueError, match="group 1 has 5 successes out of 4 trials"):
        compare_groups(counters(weekday=[1], delivered=[4], conversions=[5]), "weekday",
                       "conversion_rate")
    with pytest.raises(ValueError, match="missing column\\(s\\) hour"):
        compare_groups(WEEKDAYS, "hour", "open_rate")


@settings(database=None, max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5000), st.integers(0, 5000)).map(sorted),
        min_size=1,
        max_size=8,
    )
)
def test_best_is_separated_from_every_other_group(pairs: list[list[int]]) -> None:
    frame = counters(
        hour=list(range(len(pairs))),
        unique_opens=[p[0] for p in pairs],
        delivered=[p[1] for p in pairs],
    )
    insight = compare_groups(frame, "hour", "open_rate", min_sample=10)
    eligible = [g for g in insight.groups if g.eligible]
    assert all(g.trials >= 10 for g in eligible)
    if insight.best is not None:
        assert all(insight.best.ci_low > g.ci_high for g in eligible if g is not insight.best)
        assert insight.best.rate == max(g.rate for g in eligible)
    elif len(eligible) >= 2:
        leader = insight.leader
        assert leader is not None
        assert any(leader.ci_low <= g.ci_high for g in eligible if g is not leader)
