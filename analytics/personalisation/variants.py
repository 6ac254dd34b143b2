"""Variant selection: which of a campaign's variants each customer gets.

The policy ("thompson-calibrated", version 1) starts from the engagement model's
predicted P(open) (or P(click)) of every (customer, variant) and explores with Thompson
sampling on a per-variant *calibration* factor: variant k's rate has a Beta posterior
centred on the audience's mean prediction for it (``PRIOR_STRENGTH`` pseudo-sends) and
updated with the opens observed on the sends that followed earlier choices. One posterior
draw θ_k per variant scales each customer's predictions, p_ik · θ_k / m̄_k, and the
customer gets the variant with the highest scaled prediction.

Propensities are the probabilities of this stochastic policy, computed by Monte-Carlo:
``draws`` seeded joint posterior draws, and a customer's Thompson probability of variant
k is the share of draws in which k wins for them. The policy then mixes in a uniform
share ε (``EPSILON``, raised so each variant below ``min_sample`` observed sends gets at
least the missing sends in expectation): π_ik = ε/K + (1 − ε)·thompson_ik, never 0, so
inverse-propensity estimates are defined for every variant. The choice itself is drawn
from exactly π_i with a uniform number derived from (campaign, customer, occasion, seed),
so the logged propensity is the probability the choice was made with, and the same
occasion always gives the same choice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

POLICY = "thompson-calibrated"
POLICY_VERSION = "1"
# Uniform share of every choice: keeps each propensity >= EPSILON / K.
EPSILON = 0.05
# Observed sends a variant needs before the policy relies on its posterior.
MIN_SAMPLE = 100
# Pseudo-sends of the prior that centres each variant's rate on its mean prediction.
PRIOR_STRENGTH = 20.0
DRAWS = 2_000
SEED = 7


# Without a model: P(open) assumed for a customer without history, and the pseudo-sends
# at that rate that shrink a customer's own rate.
DEFAULT_RATE = 0.2
SHRINK = 3.0


def fallback_predictions(events: np.ndarray, sends: np.ndarray,
                         subject_rates: np.ndarray) -> np.ndarray:
    """Per customer (rows) and variant (columns) without an engagement model: the
    customer's own rate, (events + SHRINK·DEFAULT_RATE) / (sends + SHRINK), moved on the
    logit scale by each subject's shift (``subject_rates``: the fallback subject score at
    a base rate of 0.5, i.e. sigmoid(shift))."""
    base = (events + SHRINK * DEFAULT_RATE) / (sends + SHRINK)
    shift = np.log(subject_rates / (1 - subject_rates))
    logit = np.log(base / (1 - base))[:, None] + shift[None, :]
    return np.asarray(np.clip(1 / (1 + np.exp(-logit)), 1e-4, 1 - 1e-4), dtype=np.float64)


@dataclass(frozen=True)
class ArmEvidence:
    """A variant's observed outcomes so far: ``sends`` that followed a choice (with a
    known outcome) and how many of them were opened (or clicked)."""

    variant: str
    sends: int
    successes: int


@dataclass(frozen=True)
class Selection:
    """Per customer (rows, in input order): the chosen variant's index, the policy's
    probabilities of every variant (rows sum to 1) and the best-predicted variant's
    index; ``epsilon`` is the uniform share the policy used."""

    chosen: np.ndarray
    propensities: np.ndarray
    best: np.ndarray
    epsilon: float


def _check(predicted: np.ndarray, evidence: Sequence[ArmEvidence]) -> None:
    if predicted.ndim != 2 or predicted.shape[1] != len(evidence):
        raise ValueError(f"predicted has shape {predicted.shape}; pass one row per customer "
                         f"and one column per variant ({len(evidence)} variants)")
    if len(evidence) < 2:
        raise ValueError("variant selection needs at least 2 variants; add a variant to the "
                         "campaign")
    if not np.isfinite(predicted).all() or (predicted <= 0).any() or (predicted >= 1).any():
        raise ValueError("predicted probabilities must be strictly between 0 and 1")
    for arm in evidence:
        if arm.sends < 0 or not 0 <= arm.successes <= arm.sends:
            raise ValueError(f"variant {arm.variant!r}: successes ({arm.successes}) must be "
                             f"between 0 and sends ({arm.sends})")


def exploration_share(evidence: Sequence[ArmEvidence], audience: int, *,
                      epsilon: float = EPSILON, min_sample: int = MIN_SAMPLE) -> float:
    """The uniform share: ``epsilon``, raised so that every variant short of
    ``min_sample`` observed sends expects at least its shortfall from this audience."""
    if not 0 < epsilon <= 1:
        raise ValueError(f"epsilon must be in (0, 1], got {epsilon}")
    if min_sample < 0:
        raise ValueError(f"min_sample must be >= 0, got {min_sample}")
    shortfall = max((min_sample - arm.sends for arm in evidence), default=0)
    if shortfall <= 0 or audience <= 0:
        return epsilon
    return float(min(1.0, max(epsilon, len(evidence) * shortfall / audience)))


def thompson_probabilities(predicted: np.ndarray, evidence: Sequence[ArmEvidence], *,
                           draws: int = DRAWS, seed: int = SEED) -> np.ndarray:
    """Each customer's Monte-Carlo probability (share of ``draws`` seeded posterior
    draws) that each variant has the highest calibrated prediction."""
    _check(predicted, evidence)
    mean = predicted.mean(axis=0)
    sends = np.array([arm.sends for arm in evidence], dtype=np.float64)
    wins = np.array([arm.successes for arm in evidence], dtype=np.float64)
    a = PRIOR_STRENGTH * mean + wins
    b = PRIOR_STRENGTH * (1 - mean) + sends - wins
    theta = np.random.default_rng(seed).beta(a, b, size=(draws, len(evidence)))
    factors = theta / mean  # (draws, K)
    log_p = np.log(predicted)
    counts = np.zeros(predicted.shape, dtype=np.float64)
    rows = np.arange(predicted.shape[0])
    for factor in np.log(factors):
        counts[rows, np.argmax(log_p + factor, axis=1)] += 1
    return counts / draws


def occasion_uniform(campaign_id: str, customer_id: str, occasion: str, seed: int) -> float:
    """A uniform number in [0, 1) fixed by the occasion: the same inputs, the same number."""
    digest = hashlib.sha256(f"{campaign_id}\x1f{customer_id}\x1f{occasion}\x1f{seed}"
                            .encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def select_variants(predicted: np.ndarray, evidence: Sequence[ArmEvidence],
                    uniforms: np.ndarray, *, epsilon: float = EPSILON,
                    min_sample: int = MIN_SAMPLE, draws: int = DRAWS,
                    seed: int = SEED) -> Selection:
    """Choose a variant for every row of ``predicted`` (customers × variants) by drawing
    from the policy's probabilities with the row's number in ``uniforms`` ([0, 1))."""
    if uniforms.shape != (predicted.shape[0],):
        raise ValueError(f"uniforms has shape {uniforms.shape}; pass one number per customer")
    thompson = thompson_probabilities(predicted, evidence, draws=draws, seed=seed)
    share = exploration_share(evidence, predicted.shape[0], epsilon=epsilon,
                              min_sample=min_sample)
    k = predicted.shape[1]
    propensities = share / k + (1 - share) * thompson
    cumulative = np.cumsum(propensities, axis=1)
    chosen = np.minimum((cumulative <= uniforms[:, None] * cumulative[:, -1:]).sum(axis=1),
                        k - 1)
    return Selection(chosen=chosen, propensities=propensities,
                     best=np.argmax(predicted, axis=1), epsilon=share)
