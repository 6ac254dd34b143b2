from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.predictions.bgnbd import (
    BgNbdParams,
    bgnbd_log_likelihood,
    expected_order_value,
    expected_purchases,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_log_likelihood,
    p_alive,
)

# Literal histories: repeat purchases, last purchase time, age (weeks).
X = np.array([0, 0, 1, 2, 5, 0, 3, 1, 7, 0.0])
T_X = np.array([0, 0, 10, 30, 38, 0, 20, 2, 39, 0.0])
AGE = np.array([39, 20, 39, 39, 39, 12, 39, 30, 39, 5.0])


@cache
def simulated(n: int = 4000, seed: int = 11, r: float = 0.25, alpha: float = 4.0,
              a: float = 0.8, b: float = 2.5, age: float = 52.0
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Histories drawn from the BG/NBD process itself."""
    rng = np.random.default_rng(seed)
    x, t_x = np.zeros(n), np.zeros(n)
    rates = rng.gamma(r, 1 / alpha, n)
    drops = rng.beta(a, b, n)
    for i in range(n):
        now = 0.0
        while True:  # dropout may follow each repeat purchase, never the first
            now += rng.exponential(1 / rates[i])
            if now > age:
                break
            x[i], t_x[i] = x[i] + 1, now
            if rng.random() < drops[i]:
                break
    return x, t_x, np.full(n, age)


def test_golden_fit_of_the_literal_histories():
    params = fit_bgnbd(X, T_X, AGE)
    assert params.converged
    # Ten customers cannot tell dropout apart: a and b run to the lower end.
    assert (round(params.r, 4), round(params.alpha, 4)) == (1.8764, 27.3908)
    assert params.a < 1e-3 and params.b < 1e-3
    assert round(params.log_likelihood, 4) == -69.687


def test_recovers_the_parameters_that_generated_the_data():
    params = fit_bgnbd(*simulated())
    assert params.converged
    assert params.r == pytest.approx(0.25, rel=0.15)
    assert params.alpha == pytest.approx(4.0, rel=0.3)
    assert params.a == pytest.approx(0.8, rel=0.35)
    assert params.b == pytest.approx(2.5, rel=0.5)


def test_gradient_is_the_likelihoods_derivative():
    theta = np.log(np.array([0.7, 3.0, 1.3, 2.2]))
    _, gradient = bgnbd_log_likelihood(theta, X, T_X, AGE)
    step = 1e-6
    numeric = [(bgnbd_log_likelihood(theta + step * e, X, T_X, AGE)[0]
                - bgnbd_log_likelihood(theta - step * e, X, T_X, AGE)[0]) / (2 * step)
               for e in np.eye(4)]
    assert gradient == pytest.approx(numeric, rel=1e-5, abs=1e-6)
    values = np.array([10.0, 25.0, 40.0, 12.5, 80.0])
    orders = np.array([1.0, 2.0, 4.0, 1.0, 3.0])
    theta3 = np.log(np.array([2.0, 3.0, 15.0]))
    _, g = gamma_gamma_log_likelihood(theta3, orders, values)
    numeric3 = [(gamma_gamma_log_likelihood(theta3 + step * e, orders, values)[0]
                 - gamma_gamma_log_likelihood(theta3 - step * e, orders, values)[0])
                / (2 * step) for e in np.eye(3)]
    assert g == pytest.approx(numeric3, rel=1e-5, abs=1e-6)


def test_predictions_behave():
    params = BgNbdParams(r=0.25, alpha=4.0, a=0.8, b=2.5, log_likelihood=0.0,
                         converged=True, iterations=0)
    alive = p_alive(params, X, T_X, AGE)
    assert alive[0] == 1.0  # no repeat purchase: never dropped out
    # Same purchases, the last one longer ago: less likely alive.
    assert p_alive(params, [3, 3], [38, 5], [39, 39]).tolist() == sorted(
        p_alive(params, [3, 3], [38, 5], [39, 39]).tolist(), reverse=True)
    more = expected_purchases(params, 52, X, T_X, AGE)
    assert (more >= 0).all()
    assert (expected_purchases(params, 104, X, T_X, AGE) >= more).all()
    few = BgNbdParams(r=0.25, alpha=4.0, a=0.6, b=2.5, log_likelihood=0.0, converged=True,
                      iterations=0)
    assert np.isfinite(expected_purchases(few, 52, X, T_X, AGE)).all()


# Eq. 10 of Fader, Hardie and Lee (2005) evaluated with mpmath at 50 digits (a = 1:
# at 1 + 1e-30) for (x, t_x, T) = (0, 0, 39), (2, 30, 39), (7, 39, 39), (1500, 270, 273)
# over t = 52; lifetimes' conditional_expected_number_of_purchases_up_to_time agrees.
EXPECTED_52 = {0.8: [0.26109709915, 1.55975923553, 6.01056909037, 0.0396007715497],
               1.0: [0.254559806047, 1.39311388239, 5.52713211483, 0.0311406593113],
               1.5: [0.241859116577, 1.08547254562, 4.55363217526, 0.0198953473052]}


@pytest.mark.parametrize("a", sorted(EXPECTED_52))
def test_expected_purchases_golden_for_a_below_at_and_above_one(a):
    """The closed form holds for a <= 1 too (it used to be replaced there by a rate that
    ignored future dropout, 24 % high on CDNOW); the pole at a = 1 is removable, and 1,500
    purchases overflow the hypergeometric function, which Euler's transformation avoids."""
    params = BgNbdParams(r=0.25, alpha=4.0, a=a, b=2.5, log_likelihood=0.0, converged=True,
                         iterations=0)
    got = expected_purchases(params, 52, [0, 2, 7, 1500], [0, 30, 39, 270], [39, 39, 39, 273])
    assert got == pytest.approx(EXPECTED_52[a], rel=1e-7)


def test_expected_purchases_match_the_simulated_process_with_a_below_one():
    """A customer seen just at their first purchase (x = t_x = T = 0) is expected to make,
    over 52 weeks, the mean repeat purchases of customers simulated for 52 weeks."""
    params = BgNbdParams(r=0.25, alpha=4.0, a=0.8, b=2.5, log_likelihood=0.0, converged=True,
                         iterations=0)
    x, _, _ = simulated()
    expected = expected_purchases(params, 52, [0], [0], [0])[0]
    assert expected == pytest.approx(x.mean(), rel=0.08)


@settings(max_examples=40, deadline=None)
@given(st.floats(0.05, 5), st.floats(0.5, 50), st.floats(0.05, 5), st.floats(0.05, 5),
       st.integers(0, 60), st.floats(0, 1), st.floats(1, 300))
def test_expected_purchases_are_finite_and_continuous_in_a(r, alpha, b, t, x, share, age):
    """Finite and >= 0 for any a, and no jump where the formula's pole at a = 1 lies."""
    t_x = share * age if x else 0.0
    values = [expected_purchases(BgNbdParams(r=r, alpha=alpha, a=a, b=b, log_likelihood=0.0,
                                             converged=True, iterations=0), t * 10, [x],
                                 [t_x], [age])[0] for a in (1 - 1e-4, 1.0, 1 + 1e-4, 0.3)]
    assert all(np.isfinite(v) and v >= 0 for v in values)
    assert values[1] == pytest.approx(values[0], rel=1e-3, abs=1e-9)
    assert values[1] == pytest.approx(values[2], rel=1e-3, abs=1e-9)


def test_gamma_gamma_fit_and_shrinkage():
    rng = np.random.default_rng(5)
    orders = rng.integers(1, 8, 30_000).astype(float)
    # Per-customer mean order value nu ~ Gamma(q, gamma); orders ~ Gamma(p, nu).
    nu = rng.gamma(3.0, 1 / 15.0, orders.size)
    values = rng.gamma(6.0 * orders, 1 / (nu * orders))
    params = fit_gamma_gamma(orders, values)
    assert params.converged
    assert (params.p, params.q) == (pytest.approx(6.0, rel=0.1), pytest.approx(3.0, rel=0.1))
    spend = expected_order_value(params, [1, 50, 0], [100.0, 100.0, np.nan])
    population = params.p * params.gamma / (params.q - 1)
    assert population < spend[0] < spend[1] < 100.0  # one order shrinks most
    assert spend[2] == pytest.approx(population)


def test_a_stop_on_rounding_at_a_stationary_point_counts_as_converged():
    from scipy.optimize import OptimizeResult

    from analytics.predictions.bgnbd import LOG_BOUND, _converged

    def stop(theta: list[float], gradient: list[float]) -> OptimizeResult:
        return OptimizeResult(success=False, x=np.array(theta), jac=np.array(gradient))

    assert _converged(stop([0.8, 4.8, 7.9], [-9e-7, 9e-7, -9e-7]))  # a Gamma-Gamma ridge
    assert not _converged(stop([0.8, 4.8, 7.9], [1e-3, 0.0, 0.0]))
    # A bound holding a parameter back is no reason to go on; one it could leave is.
    assert _converged(stop([-LOG_BOUND, 1.0], [0.5, 0.0]))
    assert not _converged(stop([-LOG_BOUND, 1.0], [-0.5, 0.0]))
    assert not _converged(stop([LOG_BOUND, 1.0], [np.nan, 0.0]))
    assert _converged(OptimizeResult(success=True, x=np.zeros(2), jac=np.ones(2)))


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="need x >= 0 and 0 <= t_x <= T"):
        fit_bgnbd([1], [5], [3])
    with pytest.raises(ValueError, match=r"must be a whole number; customer 1 \(from 0\) "
                                         "has x = 0.5; rescale only t_x and T"):
        fit_bgnbd([1, 0.5], [2, 1], [3, 3])
    with pytest.raises(ValueError, match="must be finite numbers"):
        expected_purchases(BgNbdParams(r=1, alpha=1, a=2, b=1, log_likelihood=0,
                                       converged=True, iterations=0), 5, [1], [np.nan], [3])
    with pytest.raises(ValueError, match="leave the others out"):
        fit_gamma_gamma([0, 1], [10.0, 12.0])
    with pytest.raises(ValueError, match="penalty must be >= 0"):
        fit_bgnbd(X, T_X, AGE, penalty=-1)


histories = st.lists(st.tuples(st.integers(0, 30), st.floats(0, 1), st.floats(0.1, 200)),
                     min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(histories, st.sampled_from([0.0, 0.01]))
def test_the_fit_always_returns_finite_parameters(rows, penalty):
    """No ConvergenceError, whatever the data: finite positive parameters inside the
    bounds, and a likelihood at least as good as the starting point's."""
    x = np.array([r[0] for r in rows], dtype=float)
    age = np.array([r[2] for r in rows])
    t_x = np.where(x > 0, np.array([r[1] for r in rows]) * age, 0.0)
    params = fit_bgnbd(x, t_x, age, penalty=penalty)
    values = np.array([params.r, params.alpha, params.a, params.b])
    assert np.isfinite(values).all() and (values > 0).all()
    assert np.isfinite(params.log_likelihood)
    start = np.log(np.array([1.0, max(age.mean(), 1e-9), 1.0, 1.0]))
    if penalty == 0:
        assert params.log_likelihood >= bgnbd_log_likelihood(start, x, t_x, age)[0] - 1e-6
