"""Bayesian A/B/n for rates: Beta-Binomial posteriors, P(beats control), P(best), loss."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np
from scipy import special, stats

from analytics.experiments.summaries import Interval
from analytics.experiments.validation import (
    RawVariant,
    control_index,
    proportion_summaries,
)

# Sum terms per chunk in the exact formula; bounds memory for huge conversion counts.
_CHUNK = 1_000_000
# Beyond this many terms (about half a second) the analysis reports only the Monte Carlo
# probability; at such counts it agrees with the exact one to well within its own error.
_EXACT_MAX_TERMS = 2_000_000
_MIN_PRIOR = 0.1


@dataclass(frozen=True)
class BayesianVariant:
    """One variant's posterior Beta(alpha, beta) and what it implies.

    ``interval`` is the equal-tailed credible interval of the rate. The fields about
    the control comparison (difference, lift, probabilities against control) are None
    for the control itself. ``expected_loss`` is E[max of all rates − this rate]: the
    conversion rate given up, on average, by choosing this variant.
    """

    name: str
    posterior_alpha: float
    posterior_beta: float
    mean: float
    interval: Interval
    probability_best: float
    expected_loss: float
    probability_beats_control: float | None
    exact_probability_beats_control: float | None
    difference_mean: float | None
    difference_interval: Interval | None
    lift_mean: float | None
    lift_interval: Interval | None


@dataclass(frozen=True)
class BayesianResult:
    """Posteriors of every variant from ``draws`` Monte Carlo samples with ``seed``."""

    control: str
    prior_alpha: float
    prior_beta: float
    credible_level: float
    draws: int
    seed: int
    variants: tuple[BayesianVariant, ...]


def _sum_over_alpha(a1: float, b1: float, a2: int, b2: float) -> float:
    # Evan Miller: P(X2 > X1) = Σ_{i<a2} B(a1+i, b1+b2) / ((b2+i) B(1+i, b2) B(a1, b1))
    # for X1 ~ Beta(a1, b1), X2 ~ Beta(a2, b2), integer a2; summed in log space.
    total = -math.inf
    for start in range(0, a2, _CHUNK):
        i = np.arange(start, min(a2, start + _CHUNK), dtype=float)
        terms = (special.betaln(a1 + i, b1 + b2) - np.log(b2 + i)
                 - special.betaln(1 + i, b2) - special.betaln(a1, b1))
        total = float(np.logaddexp(total, special.logsumexp(terms)))
    return min(1.0, math.exp(total))


def _is_whole(value: float) -> bool:
    return float(value).is_integer()


def probability_beats(alpha_a: float, beta_a: float, alpha_b: float, beta_b: float) -> float:
    """Exact P(p_B > p_A) for p_A ~ Beta(alpha_a, beta_a), p_B ~ Beta(alpha_b, beta_b).

    Uses Evan Miller's closed-form sum in log space. The sum runs over one integer
    parameter; of the four equivalent forms (over alpha_b, alpha_a, beta_a or beta_b,
    using P(B > A) = 1 − P(A > B) and 1 − p ~ Beta(beta, alpha)) the shortest is used,
    so at least one parameter must be a whole number (true for integer priors).
    """
    params = (alpha_a, beta_a, alpha_b, beta_b)
    for name, value in zip(("alpha_a", "beta_a", "alpha_b", "beta_b"), params, strict=True):
        if isinstance(value, bool) or not isinstance(value, Real) or not value > 0:
            raise ValueError(f"{name}={value!r} is not a Beta parameter: use a number > 0")
    forms: list[tuple[float, Callable[[], float]]] = [  # (terms, evaluate)
        (alpha_b, lambda: _sum_over_alpha(alpha_a, beta_a, int(alpha_b), beta_b)),
        (alpha_a, lambda: 1 - _sum_over_alpha(alpha_b, beta_b, int(alpha_a), beta_a)),
        # 1 − p_A ~ Beta(beta_a, alpha_a): p_B > p_A  ⇔  1 − p_A > 1 − p_B.
        (beta_a, lambda: _sum_over_alpha(beta_b, alpha_b, int(beta_a), alpha_a)),
        (beta_b, lambda: 1 - _sum_over_alpha(beta_a, alpha_a, int(beta_b), alpha_b)),
    ]
    usable = [(terms, evaluate) for terms, evaluate in forms if _is_whole(terms)]
    if not usable:
        raise ValueError("no Beta parameter is a whole number: the exact formula needs one; "
                         "use integer prior parameters or the Monte Carlo probability")
    _, evaluate = min(usable, key=lambda form: form[0])
    return min(1.0, max(0.0, evaluate()))


def _equal_tailed(samples: np.ndarray, level: float) -> Interval:
    low, high = np.quantile(samples, [(1 - level) / 2, (1 + level) / 2])
    return Interval(float(low), float(high))


def bayesian_proportions(variants: Sequence[RawVariant], *, control: str | None = None,
                         prior_alpha: float = 1.0, prior_beta: float = 1.0,
                         credible_level: float = 0.95, draws: int = 100_000,
                         seed: int = 0) -> BayesianResult:
    """Beta-Binomial analysis of a rate for A/B/n variants.

    Each rate gets the posterior Beta(prior_alpha + conversions, prior_beta + n −
    conversions). Probabilities, expected loss and the difference/lift intervals come
    from ``draws`` joint samples of ``numpy.random.Generator(PCG64(seed))``, so a seed
    gives the same answer every time; the rate intervals and the exact P(beats control)
    are closed-form (the exact one is None when no posterior parameter is whole, or when
    the sum would need more than two million terms).
    """
    summaries = proportion_summaries(variants)
    if not isinstance(credible_level, Real) or not 0 < credible_level < 1:
        raise ValueError(f"credible_level={credible_level!r} is not a probability: use a "
                         "number between 0 and 1, such as 0.95")
    for name, value in (("prior_alpha", prior_alpha), ("prior_beta", prior_beta)):
        # Below ~0.1 a posterior with no conversions puts real mass under the smallest
        # float, so draws tie at 0 and the Monte Carlo answers stop meaning anything.
        if (isinstance(value, bool) or not isinstance(value, Real)
                or not _MIN_PRIOR <= value < math.inf):
            raise ValueError(f"{name}={value!r} is not a usable Beta prior parameter: use a "
                             f"finite number ≥ {_MIN_PRIOR}, such as 1 (uniform) or 0.5 "
                             "(Jeffreys)")
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 1000:
        raise ValueError(f"draws={draws!r} is too few: use at least 1000 Monte Carlo draws")
    index = control_index([s.name for s in summaries], control)
    a = np.array([prior_alpha + s.conversions for s in summaries], dtype=float)
    b = np.array([prior_beta + s.n - s.conversions for s in summaries], dtype=float)
    rng = np.random.Generator(np.random.PCG64(seed))
    samples = rng.beta(a, b, size=(draws, len(summaries)))
    best = samples.max(axis=1)
    winners = np.bincount(samples.argmax(axis=1), minlength=len(summaries)) / draws
    base = samples[:, index]
    out = []
    for i, summary in enumerate(summaries):
        low, high = stats.beta.ppf([(1 - credible_level) / 2, (1 + credible_level) / 2],
                                   a[i], b[i])
        common: dict[str, Any] = {
            "name": summary.name, "posterior_alpha": float(a[i]),
            "posterior_beta": float(b[i]), "mean": float(a[i] / (a[i] + b[i])),
            "interval": Interval(float(low), float(high)),
            "probability_best": float(winners[i]),
            "expected_loss": float(np.mean(best - samples[:, i])),
        }
        if i == index:
            out.append(BayesianVariant(
                **common, probability_beats_control=None, exact_probability_beats_control=None,
                difference_mean=None, difference_interval=None, lift_mean=None,
                lift_interval=None,
            ))
            continue
        difference = samples[:, i] - base
        # With a tiny prior some control draws underflow to (nearly) 0; their lift is not
        # a finite number, so it is left out rather than allowed to poison the quantiles.
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            lift = samples[:, i] / base - 1
        lift = lift[np.isfinite(lift)]
        terms = [v for v in (a[index], b[index], a[i], b[i]) if _is_whole(v)]
        exact = (probability_beats(float(a[index]), float(b[index]), float(a[i]), float(b[i]))
                 if terms and min(terms) <= _EXACT_MAX_TERMS else None)
        out.append(BayesianVariant(
            **common, probability_beats_control=float(np.mean(samples[:, i] > base)),
            exact_probability_beats_control=exact, difference_mean=float(difference.mean()),
            difference_interval=_equal_tailed(difference, credible_level),
            lift_mean=float(lift.mean()) if lift.size else None,
            lift_interval=_equal_tailed(lift, credible_level) if lift.size else None,
        ))
    return BayesianResult(control=summaries[index].name, prior_alpha=float(prior_alpha),
                          prior_beta=float(prior_beta), credible_level=credible_level,
                          draws=draws, seed=seed, variants=tuple(out))
