"""The variant-selection policy: Thompson probabilities by Monte-Carlo, the uniform
floor, the minimum sample per arm, and choices fixed by the occasion."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import beta

from analytics.personalisation.variants import (
    EPSILON,
    ArmEvidence,
    exploration_share,
    occasion_uniform,
    select_variants,
    thompson_probabilities,
)

EVEN = [ArmEvidence("A", 500, 100), ArmEvidence("B", 500, 100)]


def test_equal_evidence_follows_each_customers_predictions() -> None:
    predicted = np.array([[0.30, 0.10], [0.10, 0.30], [0.20, 0.20]])
    probabilities = thompson_probabilities(predicted, EVEN, draws=4000)

    assert probabilities.sum(axis=1) == pytest.approx([1, 1, 1])
    # A customer three times as likely to open A gets A unless a draw triples B's rate.
    assert probabilities[0, 0] > 0.99 and probabilities[1, 1] > 0.99
    assert probabilities[2, 0] == pytest.approx(0.5, abs=0.03)


def test_a_tie_splits_as_the_exact_beta_comparison_says() -> None:
    # Same predictions for everyone: the customer picks the variant with the higher
    # calibration draw, so P(A) = P(theta_A > theta_B) for the two Beta posteriors.
    arms = [ArmEvidence("A", 200, 60), ArmEvidence("B", 200, 50)]
    predicted = np.full((1, 2), 0.25)
    probability = thompson_probabilities(predicted, arms, draws=10_000)[0, 0]

    a = (20 * 0.25 + 60, 20 * 0.75 + 140)
    b = (20 * 0.25 + 50, 20 * 0.75 + 150)
    exact = _p_greater(a, b)
    assert probability == pytest.approx(exact, abs=0.01)


def test_observed_rates_override_a_model_that_disagrees() -> None:
    # Everyone is predicted 30 % for A and 10 % for B, but both opened at 20 %: the
    # calibration undoes the model's preference, so the policy explores both.
    probabilities = thompson_probabilities(np.array([[0.30, 0.10]]), EVEN, draws=4000)
    # P(A) = P(theta_A > theta_B): the priors (20 pseudo-sends at 30 % and 10 %) still
    # tilt it a little towards A.
    exact = _p_greater((20 * 0.3 + 100, 20 * 0.7 + 400), (20 * 0.1 + 100, 20 * 0.9 + 400))
    assert round(exact, 3) == 0.622
    assert probabilities[0, 0] == pytest.approx(exact, abs=0.02)


def _p_greater(a: tuple[float, float], b: tuple[float, float]) -> float:
    grid = np.linspace(0, 1, 20_001)
    return float(np.trapezoid(beta.pdf(grid, *a) * beta.cdf(grid, *b), grid))


def test_the_floor_and_the_minimum_sample_raise_exploration() -> None:
    assert exploration_share(EVEN, 1000) == EPSILON
    short = [ArmEvidence("A", 500, 100), ArmEvidence("B", 20, 5)]
    # B is 80 sends short of 100: 2 arms x 80 / 1000 customers = 16 % uniform.
    assert exploration_share(short, 1000) == pytest.approx(0.16)
    assert exploration_share(short, 100) == 1.0
    assert exploration_share(short, 0) == EPSILON
    with pytest.raises(ValueError, match="epsilon must be in"):
        exploration_share(EVEN, 10, epsilon=0)
    with pytest.raises(ValueError, match="min_sample must be"):
        exploration_share(EVEN, 10, min_sample=-1)


def test_choices_are_drawn_from_the_logged_propensities() -> None:
    predicted = np.array([[0.30, 0.10]] * 3)
    # The sends so far agree with the model (A 30 %, B 10 %): A wins every draw.
    agreeing = [ArmEvidence("A", 500, 150), ArmEvidence("B", 500, 50)]
    selection = select_variants(predicted, agreeing, np.array([0.0, 0.97, 0.99]))

    floor = EPSILON / 2
    assert selection.propensities[0] == pytest.approx([1 - floor, floor])
    assert selection.chosen.tolist() == [0, 0, 1]
    assert selection.best.tolist() == [0, 0, 0]
    assert selection.epsilon == EPSILON


def test_the_occasion_fixes_the_number() -> None:
    first = occasion_uniform("c1", "u1", "send", 7)
    assert first == occasion_uniform("c1", "u1", "send", 7)
    assert first != occasion_uniform("c1", "u1", "resend", 7)
    assert round(first, 12) == 0.229809944658


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 2 variants"):
        thompson_probabilities(np.array([[0.2]]), EVEN[:1])
    with pytest.raises(ValueError, match="one column per variant"):
        thompson_probabilities(np.array([[0.2, 0.3, 0.1]]), EVEN)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        thompson_probabilities(np.array([[0.0, 0.3]]), EVEN)
    with pytest.raises(ValueError, match="variant 'B': successes"):
        thompson_probabilities(np.array([[0.2, 0.3]]), [EVEN[0], ArmEvidence("B", 3, 4)])
    with pytest.raises(ValueError, match="one number per customer"):
        select_variants(np.array([[0.2, 0.3]]), EVEN, np.array([0.1, 0.2]))


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 6), st.integers(2, 4), st.integers(0, 10_000),
       st.lists(st.tuples(st.integers(0, 300), st.floats(0, 1)), min_size=4, max_size=4))
def test_propensities_are_probabilities_never_below_the_floor(customers, arms, seed,
                                                               counts) -> None:
    rng = np.random.default_rng(seed)
    predicted = rng.uniform(0.01, 0.9, size=(customers, arms))
    evidence = [ArmEvidence(str(k), n, int(n * share)) for k, (n, share)
                in enumerate(counts[:arms])]
    selection = select_variants(predicted, evidence, rng.random(customers), draws=200)

    assert selection.propensities.sum(axis=1) == pytest.approx(np.ones(customers))
    assert (selection.propensities >= selection.epsilon / arms - 1e-12).all()
    assert selection.epsilon >= EPSILON
    assert ((selection.chosen >= 0) & (selection.chosen < arms)).all()
