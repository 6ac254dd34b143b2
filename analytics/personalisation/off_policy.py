"""Off-policy estimates: the open rate a target policy would have had, from the choices
a logging policy made (with their propensities) and the outcomes observed.

With weights w_i = π_target(a_i | x_i) / π_log(a_i | x_i) and outcomes r_i ∈ {0, 1}:

- IPS: V = mean(w_i r_i), with the CLT interval V ± z · sd(w_i r_i) / √n;
- SNIPS: V = Σ w_i r_i / Σ w_i, with the delta-method interval
  V ± z · sd(w_i (r_i − V)) / (mean(w_i) √n).

The logging policy's propensities are never 0 (see ``variants``), so the weights are
defined for every logged choice. Target policies: ``uniform`` (1/K per variant),
``best_predicted`` (always the variant with the highest prediction) and ``logged`` (the
logging policy itself, whose IPS estimate is the observed rate).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

TARGETS = ("logged", "uniform", "best_predicted")
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Estimate:
    """A target policy's estimated rate and its interval (``n`` logged outcomes)."""

    target: str
    method: str
    value: float
    lower: float
    upper: float
    n: int


def target_probabilities(target: str, *, propensity: np.ndarray, variants: np.ndarray,
                         chosen_is_best: np.ndarray) -> np.ndarray:
    """π_target of each logged choice's variant under ``target``."""
    if target == "logged":
        return propensity.astype(np.float64)
    if target == "uniform":
        return 1.0 / variants.astype(np.float64)
    if target == "best_predicted":
        return chosen_is_best.astype(np.float64)
    raise ValueError(f"target policy {target!r} is unknown; choose one of {', '.join(TARGETS)}")


def _check(propensity: np.ndarray, target_p: np.ndarray, reward: np.ndarray) -> None:
    if not propensity.shape == target_p.shape == reward.shape or propensity.ndim != 1:
        raise ValueError("propensity, target probabilities and rewards must be 1-d arrays of "
                         "one length")
    bad = np.flatnonzero(~((propensity > 0) & (propensity <= 1)))
    if bad.size:
        raise ValueError(f"propensity[{bad[0]}] = {propensity[bad[0]]} is not in (0, 1]; "
                         "a logged choice needs the positive probability it was made with")
    if ((target_p < 0) | (target_p > 1)).any():
        raise ValueError("target probabilities must be in [0, 1]")
    if ((reward != 0) & (reward != 1)).any():
        raise ValueError("rewards must be 0 or 1 (opened or not)")


def ips(propensity: np.ndarray, target_p: np.ndarray, reward: np.ndarray, *,
        target: str = "target", confidence: float = CONFIDENCE) -> Estimate | None:
    """Inverse-propensity estimate with its CLT interval; None with fewer than two
    outcomes (no interval)."""
    _check(propensity, target_p, reward)
    n = reward.size
    if n < 2:
        return None
    terms = target_p / propensity * reward
    value = float(terms.mean())
    half = _half(terms, confidence)
    return Estimate(target=target, method="ips", value=value, lower=value - half,
                    upper=value + half, n=n)


def snips(propensity: np.ndarray, target_p: np.ndarray, reward: np.ndarray, *,
          target: str = "target", confidence: float = CONFIDENCE) -> Estimate | None:
    """Self-normalised estimate with its delta-method interval; None with fewer than two
    outcomes or when the target policy gives weight to none of the logged choices."""
    _check(propensity, target_p, reward)
    weights = target_p / propensity
    if reward.size < 2 or weights.sum() <= 0:
        return None
    value = float((weights * reward).sum() / weights.sum())
    half = _half(weights * (reward - value), confidence) / float(weights.mean())
    return Estimate(target=target, method="snips", value=value, lower=value - half,
                    upper=value + half, n=int(reward.size))


def _half(terms: np.ndarray, confidence: float) -> float:
    z = float(norm.ppf(0.5 + confidence / 2))
    return z * float(terms.std(ddof=1)) / float(np.sqrt(terms.size))
