"""BG/NBD (purchases and dropout) and Gamma-Gamma (order value) by maximum likelihood.

BG/NBD (Fader, Hardie and Lee 2005): while alive a customer buys at Poisson rate λ ~
Gamma(r, α); after each purchase they drop out with probability p ~ Beta(a, b). Per
customer it needs only ``x`` (repeat purchases), ``t_x`` (time of the last purchase
since the first) and ``T`` (time since the first purchase), so a store with only order
history can be modelled.

The fit always converges: parameters are optimised as logs (so they stay positive with
no constraint to violate), inside wide box bounds (|log θ| ≤ 12, where the likelihood
is flat anyway), with the analytic gradient, by L-BFGS-B. When it stops at its
iteration limit it still returns the best point found, with ``converged=False`` rather
than an exception. A line search that stops on rounding at a stationary point
(projected gradient of the mean log-likelihood at most ``GRADIENT_TOLERANCE``) counts
as converged: on a flat ridge the tight tolerances cannot be met in floating point.
``penalty`` (default 0: plain maximum likelihood) adds ``penalty · Σ θ²`` on the
parameters themselves, which only pulls estimates in when a tiny data set leaves the
likelihood flat; it is used only when asked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import OptimizeResult, minimize
from scipy.special import betaln, digamma, gammaln, hyp2f1

LOG_BOUND = 12.0
MAX_ITERATIONS = 2_000
# A fit whose line search stops on rounding (L-BFGS-B's ABNORMAL_TERMINATION on a flat
# ridge, e.g. Gamma-Gamma's q and γ growing together) has still converged when the
# projected gradient of the mean log-likelihood in the log-parameters is this small.
GRADIENT_TOLERANCE = 1e-5
# expected_purchases' formula has a removable pole at a = 1: within this gap it takes
# the mean of the values either side.
A_ONE_GAP = 1e-6


@dataclass(frozen=True)
class BgNbdParams:
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    converged: bool
    iterations: int


@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    gamma: float
    log_likelihood: float
    converged: bool
    iterations: int


def _summary(x: ArrayLike, t_x: ArrayLike, T: ArrayLike  # noqa: N803
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    xs = np.asarray(x, dtype=np.float64)
    ts = np.asarray(t_x, dtype=np.float64)
    ages = np.asarray(T, dtype=np.float64)
    if not xs.shape == ts.shape == ages.shape or xs.ndim != 1 or xs.size == 0:
        raise ValueError("x, t_x and T must be 1-D arrays of the same, non-zero length")
    if not (np.isfinite(xs).all() and np.isfinite(ts).all() and np.isfinite(ages).all()):
        raise ValueError("x, t_x and T must be finite numbers (no NaN or infinity)")
    if (xs < 0).any() or (ts < 0).any() or (ts > ages + 1e-9).any():
        raise ValueError("need x >= 0 and 0 <= t_x <= T for every customer")
    fractional = np.flatnonzero(xs != np.floor(xs))
    if fractional.size:
        # A fractional count (e.g. x rescaled with the time unit) makes b + x - 1
        # negative and the likelihood undefined.
        first = int(fractional[0])
        raise ValueError(f"x counts repeat purchases and must be a whole number; customer "
                         f"{first} (from 0) has x = {xs[first]:g}; rescale only t_x and T "
                         "when changing the time unit")
    return xs, ts, ages


def _converged(result: OptimizeResult) -> bool:
    """L-BFGS-B's own verdict, or a stationary point inside the bounds (the projected
    gradient: a bound holding the gradient back counts as stationary)."""
    if result.success:
        return True
    theta, gradient = np.asarray(result.x), np.asarray(result.jac)
    held = (((theta <= -LOG_BOUND + 1e-9) & (gradient > 0))
            | ((theta >= LOG_BOUND - 1e-9) & (gradient < 0)))
    projected = np.where(held, 0.0, gradient)
    return bool(np.isfinite(projected).all() and np.abs(projected).max() <= GRADIENT_TOLERANCE)


def bgnbd_log_likelihood(log_params: np.ndarray, x: np.ndarray, t_x: np.ndarray,
                         T: np.ndarray) -> tuple[float, np.ndarray]:  # noqa: N803
    """The total log-likelihood at ``log_params`` = log(r, α, a, b) and its gradient
    with respect to ``log_params``."""
    r, alpha, a, b = np.exp(log_params)
    repeat = x > 0
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - betaln(a, b)
    a3 = -(r + x) * np.log(alpha + T)
    b_x = np.where(repeat, b + x - 1, 1.0)
    a4 = np.where(repeat, np.log(a) - np.log(b_x) - (r + x) * np.log(alpha + t_x), -np.inf)
    top = np.maximum(a3, a4)
    w3, w4 = np.exp(a3 - top), np.exp(a4 - top)
    total = w3 + w4
    w3, w4 = w3 / total, w4 / total
    ll = a1 + a2 + top + np.log(total)

    d_r = (digamma(r + x) - digamma(r) + np.log(alpha)
           - w3 * np.log(alpha + T) - w4 * np.log(alpha + t_x))
    d_alpha = r / alpha - w3 * (r + x) / (alpha + T) - w4 * (r + x) / (alpha + t_x)
    d_a = digamma(a + b) - digamma(a + b + x) + w4 / a
    d_b = (digamma(a + b) + digamma(b + x) - digamma(b) - digamma(a + b + x)
           - w4 / b_x)
    gradient = np.array([d_r.sum() * r, d_alpha.sum() * alpha, d_a.sum() * a, d_b.sum() * b])
    return float(ll.sum()), gradient


def fit_bgnbd(x: ArrayLike, t_x: ArrayLike, T: ArrayLike, *,  # noqa: N803
              penalty: float = 0.0) -> BgNbdParams:
    """Maximum-likelihood BG/NBD parameters for customers with ``x`` repeat purchases,
    the last at ``t_x``, observed for ``T`` (all in the same time unit, e.g. days)."""
    xs, ts, ages = _summary(x, t_x, T)
    if penalty < 0:
        raise ValueError(f"penalty must be >= 0, got {penalty}")
    scale = max(float(ages.mean()), 1e-9)

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        ll, gradient = bgnbd_log_likelihood(theta, xs, ts, ages)
        params = np.exp(theta)
        value = -ll / xs.size + penalty * float((params ** 2).sum())
        return value, -gradient / xs.size + penalty * 2 * params ** 2

    start = np.log(np.array([1.0, scale, 1.0, 1.0]))
    bounds = [(-LOG_BOUND, LOG_BOUND)] * 4
    result = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds,
                      options={"maxiter": MAX_ITERATIONS, "gtol": 1e-9, "ftol": 1e-14})
    r, alpha, a, b = (float(v) for v in np.exp(result.x))
    ll, _ = bgnbd_log_likelihood(result.x, xs, ts, ages)
    return BgNbdParams(r=r, alpha=alpha, a=a, b=b, log_likelihood=ll,
                       converged=_converged(result), iterations=int(result.nit))


def p_alive(params: BgNbdParams, x: ArrayLike, t_x: ArrayLike,
            T: ArrayLike) -> np.ndarray:  # noqa: N803
    """P(the customer is still alive at ``T``); 1 for customers without repeat
    purchases (the model lets them drop out only after a purchase)."""
    xs, ts, ages = _summary(x, t_x, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    b_x = np.where(xs > 0, b + xs - 1, 1.0)
    log_ratio = np.log(a) - np.log(b_x) + (r + xs) * (np.log(alpha + ages)
                                                      - np.log(alpha + ts))
    alive: np.ndarray = np.where(xs > 0, 1 / (1 + np.exp(np.minimum(log_ratio, 700))), 1.0)
    return alive


def expected_purchases(params: BgNbdParams, t: float, x: ArrayLike, t_x: ArrayLike,
                       T: ArrayLike) -> np.ndarray:  # noqa: N803
    """Expected purchases in ``(T, T + t]`` given each customer's history (Fader, Hardie
    and Lee 2005, eq. 10).

    The closed form holds for every ``a`` > 0, not only ``a`` > 1: the expectation is
    analytic in ``a`` and the formula's pole at ``a`` = 1 is removable (for ``a`` < 1 the
    leading ratio and the bracket are both negative), so there it is the mean of the
    values just either side. Where the hypergeometric function overflows (many
    purchases) Euler's transformation evaluates the same product in logs.
    """
    xs, ts, ages = _summary(x, t_x, T)
    if abs(params.a - 1) < A_ONE_GAP:
        middle: np.ndarray = (_expected(params, 1 - A_ONE_GAP, t, xs, ts, ages)
                              + _expected(params, 1 + A_ONE_GAP, t, xs, ts, ages)) / 2
        return middle
    return _expected(params, params.a, t, xs, ts, ages)


def _expected(params: BgNbdParams, a: float, t: float, xs: np.ndarray, ts: np.ndarray,
              ages: np.ndarray) -> np.ndarray:
    r, alpha, b = params.r, params.alpha, params.b
    z = t / (alpha + ages + t)
    c = a + b + xs - 1
    # log of ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x; c; z), with (α+T)/(α+T+t) = 1 − z.
    decay = (r + xs) * np.log1p(-z)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        direct = np.log(hyp2f1(r + xs, b + xs, c, z)) + decay
        euler = (np.log(hyp2f1(c - r - xs, c - b - xs, c, z))
                 + (c - r - b - 2 * xs) * np.log1p(-z) + decay)
    term = np.where(np.isfinite(direct), direct, euler)
    b_x = np.where(xs > 0, b + xs - 1, 1.0)
    odds = np.where(xs > 0, a / b_x * ((alpha + ages) / (alpha + ts)) ** (r + xs), 0.0)
    expected: np.ndarray = c / (a - 1) * -np.expm1(term) / (1 + odds)
    return expected


def gamma_gamma_log_likelihood(log_params: np.ndarray, x: np.ndarray,
                               m: np.ndarray) -> tuple[float, np.ndarray]:
    """Gamma-Gamma log-likelihood of mean order values ``m`` over ``x`` orders at
    ``log_params`` = log(p, q, γ), with its gradient in the logs."""
    p, q, gamma = np.exp(log_params)
    px = p * x
    ll = (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(gamma)
          + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * np.log(gamma + m * x))
    d_p = x * (digamma(px + q) - digamma(px) + np.log(m) + np.log(x)
               - np.log(gamma + m * x))
    d_q = digamma(px + q) - digamma(q) + np.log(gamma) - np.log(gamma + m * x)
    d_gamma = q / gamma - (px + q) / (gamma + m * x)
    gradient = np.array([d_p.sum() * p, d_q.sum() * q, d_gamma.sum() * gamma])
    return float(ll.sum()), gradient


def fit_gamma_gamma(x: ArrayLike, monetary: ArrayLike, *,
                    penalty: float = 0.0) -> GammaGammaParams:
    """Gamma-Gamma parameters from customers with ``x`` >= 1 orders of mean value
    ``monetary`` > 0 (others must be left out by the caller)."""
    xs = np.asarray(x, dtype=np.float64)
    ms = np.asarray(monetary, dtype=np.float64)
    if xs.shape != ms.shape or xs.size == 0:
        raise ValueError("x and monetary must be 1-D arrays of the same, non-zero length")
    if (xs < 1).any() or (ms <= 0).any():
        raise ValueError("Gamma-Gamma needs x >= 1 and monetary > 0 for every customer; "
                         "leave the others out")
    if penalty < 0:
        raise ValueError(f"penalty must be >= 0, got {penalty}")

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        ll, gradient = gamma_gamma_log_likelihood(theta, xs, ms)
        params = np.exp(theta)
        return (-ll / xs.size + penalty * float((params ** 2).sum()),
                -gradient / xs.size + penalty * 2 * params ** 2)

    start = np.log(np.array([1.0, 1.0, max(float(ms.mean()), 1e-9)]))
    result = minimize(objective, start, jac=True, method="L-BFGS-B",
                      bounds=[(-LOG_BOUND, LOG_BOUND)] * 3,
                      options={"maxiter": MAX_ITERATIONS, "gtol": 1e-9, "ftol": 1e-14})
    p, q, gamma = (float(v) for v in np.exp(result.x))
    ll, _ = gamma_gamma_log_likelihood(result.x, xs, ms)
    return GammaGammaParams(p=p, q=q, gamma=gamma, log_likelihood=ll,
                            converged=_converged(result), iterations=int(result.nit))


def expected_order_value(params: GammaGammaParams, x: ArrayLike,
                         monetary: ArrayLike) -> np.ndarray:
    """E(order value) per customer: shrunk from their mean ``monetary`` over ``x``
    orders towards the population mean (customers with ``x`` = 0 get the latter)."""
    xs = np.asarray(x, dtype=np.float64)
    ms = np.nan_to_num(np.asarray(monetary, dtype=np.float64))
    p, q, gamma = params.p, params.q, params.gamma
    population = p * gamma / (q - 1) if q > 1 else float("nan")
    value: np.ndarray = np.where(xs > 0, (gamma + ms * xs) * p / (p * xs + q - 1),
                                 population)
    return value
