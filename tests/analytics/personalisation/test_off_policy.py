"""IPS and SNIPS estimates with their intervals, against direct computation, statsmodels
and a bootstrap."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.weightstats import DescrStatsW

from analytics.personalisation.off_policy import ips, snips, target_probabilities

# Ten logged choices of two variants: propensity of the chosen one, whether it is the
# best predicted, and whether the send was opened.
PROPENSITY = np.array([0.9, 0.9, 0.9, 0.1, 0.9, 0.1, 0.9, 0.9, 0.5, 0.5])
IS_BEST = np.array([1, 1, 1, 0, 1, 0, 1, 1, 1, 0], dtype=bool)
OPENED = np.array([1, 0, 1, 1, 0, 0, 1, 0, 1, 0], dtype=np.float64)
VARIANTS = np.full(10, 2)


def test_uniform_ips_is_the_mean_of_weighted_opens() -> None:
    target = target_probabilities("uniform", propensity=PROPENSITY, variants=VARIANTS,
                                  chosen_is_best=IS_BEST)
    estimate = ips(PROPENSITY, target, OPENED, target="uniform")

    terms = 0.5 / PROPENSITY * OPENED
    assert estimate is not None
    assert round(estimate.value, 10) == round(terms.mean(), 10) == 0.7666666667
    low, high = DescrStatsW(terms).zconfint_mean(alpha=0.05)
    assert (estimate.lower, estimate.upper) == pytest.approx((low, high))
    assert estimate.n == 10 and estimate.method == "ips" and estimate.target == "uniform"


def test_snips_normalises_by_the_weights_and_its_interval_matches_a_bootstrap() -> None:
    target = target_probabilities("best_predicted", propensity=PROPENSITY,
                                  variants=VARIANTS, chosen_is_best=IS_BEST)
    estimate = snips(PROPENSITY, target, OPENED)

    weights = target / PROPENSITY
    assert estimate is not None
    assert estimate.value == pytest.approx((weights * OPENED).sum() / weights.sum())
    assert round(estimate.value, 6) == 0.615385
    rng = np.random.default_rng(1)
    draws = rng.integers(0, 10, size=(5_000, 10))
    boot = (weights[draws] * OPENED[draws]).sum(1) / np.maximum(weights[draws].sum(1), 1e-12)
    half = (estimate.upper - estimate.lower) / 2
    assert half == pytest.approx(1.96 * boot.std(), rel=0.15)


def test_the_logged_policy_estimates_the_observed_rate() -> None:
    target = target_probabilities("logged", propensity=PROPENSITY, variants=VARIANTS,
                                  chosen_is_best=IS_BEST)
    assert ips(PROPENSITY, target, OPENED).value == pytest.approx(0.5)  # type: ignore[union-attr]
    assert snips(PROPENSITY, target, OPENED).value == pytest.approx(0.5)  # type: ignore[union-attr]


def test_too_few_outcomes_or_no_weight_give_no_estimate() -> None:
    one = np.array([0.5])
    assert ips(one, one, np.array([1.0])) is None
    assert snips(PROPENSITY, np.zeros(10), OPENED) is None


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match=r"propensity\[1\] = 0.0 is not in \(0, 1\]"):
        ips(np.array([0.5, 0.0]), np.array([0.5, 0.5]), np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match="1-d arrays of one length"):
        ips(np.array([0.5]), np.array([0.5, 0.5]), np.array([1.0]))
    with pytest.raises(ValueError, match="target probabilities must be in"):
        snips(np.array([0.5, 0.5]), np.array([1.5, 0.5]), np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match="rewards must be 0 or 1"):
        snips(np.array([0.5, 0.5]), np.array([0.5, 0.5]), np.array([2.0, 0.0]))
    with pytest.raises(ValueError, match="target policy 'greedy' is unknown"):
        target_probabilities("greedy", propensity=PROPENSITY, variants=VARIANTS,
                             chosen_is_best=IS_BEST)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.floats(0.05, 1.0), st.booleans()), min_size=2, max_size=40))
def test_snips_stays_a_rate_and_equal_policies_give_the_mean(rows) -> None:
    propensity = np.array([p for p, _ in rows])
    reward = np.array([float(r) for _, r in rows])
    estimate = snips(propensity, np.full(len(rows), 0.5), reward)
    same = ips(propensity, propensity, reward)

    assert estimate is not None and 0.0 <= estimate.value <= 1.0
    assert estimate.lower <= estimate.value <= estimate.upper
    assert same is not None and same.value == pytest.approx(reward.mean())
