from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from analytics.experiments import ProportionSummary, bayesian_proportions, probability_beats

# name, n, conversions
VARIANTS = [
    ("A", 10_000, 500),
    ("B", 10_050, 590),
    ("C", 9_990, 520),
]
# Beta parameters (alpha_a, beta_a, alpha_b, beta_b)
POSTERIORS = [
    (21, 181, 31, 171),
    (501, 9_501, 591, 9_461),
    (1, 51, 4, 58),
    (0.5 + 20, 181, 0.5 + 30, 171),  # only the betas are whole: the beta-side forms
    (21, 0.5 + 180, 31, 0.5 + 170),  # only the alphas are whole
]


def summaries():
    return [ProportionSummary(*row) for row in VARIANTS]


def by_integration(a_a, b_a, a_b, b_b):
    # P(p_B > p_A) = ∫ f_B(x) F_A(x) dx, integrated around where the mass is.
    lo = min(stats.beta.ppf(1e-12, a_a, b_a), stats.beta.ppf(1e-12, a_b, b_b))
    hi = max(stats.beta.isf(1e-12, a_a, b_a), stats.beta.isf(1e-12, a_b, b_b))
    value, _ = integrate.quad(lambda x: stats.beta.pdf(x, a_b, b_b) * stats.beta.cdf(x, a_a, b_a),
                              lo, hi, epsabs=1e-13, epsrel=1e-12, limit=200)
    return value


@pytest.mark.parametrize("params", POSTERIORS)
def test_exact_formula_matches_numerical_integration(params):
    assert probability_beats(*params) == pytest.approx(by_integration(*params), abs=1e-9)


@pytest.mark.parametrize("params", POSTERIORS)
def test_exact_formula_is_symmetric(params):
    a_a, b_a, a_b, b_b = params
    assert probability_beats(a_a, b_a, a_b, b_b) + probability_beats(a_b, b_b, a_a, b_a) == (
        pytest.approx(1.0, abs=1e-12))


def test_exact_formula_golden_values():
    assert round(probability_beats(21, 181, 31, 171), 6) == 0.933305
    assert round(probability_beats(501, 9_501, 591, 9_461), 6) == 0.996723
    assert probability_beats(1, 1, 1, 1) == pytest.approx(0.5, abs=1e-12)


def test_huge_counts_skip_the_exact_sum():
    huge = [ProportionSummary("A", 10**8, 5 * 10**7), ProportionSummary("B", 10**8, 5 * 10**7)]
    b = bayesian_proportions(huge, draws=2_000).variants[1]
    assert b.exact_probability_beats_control is None
    assert 0 <= b.probability_beats_control <= 1


def test_exact_formula_needs_a_whole_parameter():
    with pytest.raises(ValueError, match="no Beta parameter is a whole number"):
        probability_beats(20.5, 180.5, 30.5, 170.5)
    with pytest.raises(ValueError, match="alpha_b=0 is not a Beta parameter"):
        probability_beats(1, 1, 0, 1)


def test_monte_carlo_agrees_with_the_exact_formula():
    result = bayesian_proportions(summaries(), draws=200_000, seed=5)
    for v in result.variants[1:]:
        exact = v.exact_probability_beats_control
        se = math.sqrt(exact * (1 - exact) / result.draws)
        assert abs(v.probability_beats_control - exact) <= 4 * se + 1e-4


def test_golden_values():
    result = bayesian_proportions(summaries(), seed=0)
    a, b, c = result.variants
    assert (b.posterior_alpha, b.posterior_beta) == (591.0, 9_461.0)
    assert round(b.mean, 6) == 0.058794
    assert (round(b.interval.low, 6), round(b.interval.high, 6)) == (0.05428, 0.063475)
    assert round(b.exact_probability_beats_control, 6) == 0.996723
    assert round(c.exact_probability_beats_control, 6) == 0.745027
    assert round(b.probability_beats_control, 2) == 1.0
    assert round(b.probability_best, 2) == 0.98
    assert round(b.lift_interval.low, 2) == 0.05 and round(b.lift_interval.high, 2) == 0.32
    assert round(a.expected_loss, 4) == 0.0087
    assert a.probability_beats_control is None and a.lift_interval is None


def test_rate_interval_is_the_beta_quantiles():
    result = bayesian_proportions(summaries(), prior_alpha=2, prior_beta=30, credible_level=0.9)
    a = result.variants[0]
    low, high = stats.beta.ppf([0.05, 0.95], 502, 9_530)
    assert (a.interval.low, a.interval.high) == (pytest.approx(low, abs=1e-12),
                                                 pytest.approx(high, abs=1e-12))


def test_same_seed_same_answer():
    assert bayesian_proportions(summaries(), seed=3) == bayesian_proportions(summaries(), seed=3)
    assert bayesian_proportions(summaries(), seed=3) != bayesian_proportions(summaries(), seed=4)


def test_rejects_bad_priors_and_draws():
    with pytest.raises(ValueError, match="prior_alpha=0 is not a usable Beta prior parameter: "
                                         "use a finite number ≥ 0.1"):
        bayesian_proportions(summaries(), prior_alpha=0)
    with pytest.raises(ValueError, match="draws=10 is too few"):
        bayesian_proportions(summaries(), draws=10)
    with pytest.raises(ValueError, match="control='Z' is not a variant"):
        bayesian_proportions(summaries(), control="Z")


@st.composite
def experiments(draw):
    rows = []
    for name in ("A", "B", "C")[: draw(st.integers(2, 3))]:
        n = draw(st.integers(1, 5_000))
        rows.append(ProportionSummary(name, n, draw(st.integers(0, n))))
    return rows


@settings(max_examples=40, deadline=None)
@given(experiments(), st.integers(0, 2**32 - 1))
def test_properties(variants, seed):
    result = bayesian_proportions(variants, draws=4_000, seed=seed)
    assert sum(v.probability_best for v in result.variants) == pytest.approx(1.0)
    for v in result.variants:
        assert v.interval.low <= v.mean <= v.interval.high
        assert v.expected_loss >= 0
        if v.name != result.control:
            assert 0 <= v.exact_probability_beats_control <= 1
            assert abs(v.probability_beats_control - v.exact_probability_beats_control) < 0.08
            assert v.difference_interval.low <= v.difference_interval.high
