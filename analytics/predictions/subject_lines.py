"""Subject lines: score alternatives and allocate sends across variants.

Scoring uses the open model when one is active (the runner feeds it each alternative's
``CAMPAIGN_FEATURES`` with the recipients' features). Without one,
``fallback_open_rates`` ranks them by a feature-based prior: the recipients' recent
open rate moved on the logit scale by ``FALLBACK_EFFECTS`` per feature; the effects are
conservative sizes from published email-marketing studies (a personal merge tag and a
question help a little, several exclamation marks and long subjects hurt), meant only
to rank alternatives until an open model exists.

Allocation is Thompson sampling: each variant's open rate has a Beta(1 + opens,
1 + sends − opens) posterior; a variant's share of the next sends is the share of
seeded joint draws in which it has the highest rate, so a clear winner takes almost
everything and close variants keep exploring.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import polars as pl

from analytics.predictions.engagement import (
    CAMPAIGN_FEATURES,
    CONTENT_FEATURES,
    campaign_features,
)

# Logit shifts per unit of a subject feature for the fallback score.
FALLBACK_EFFECTS: dict[str, float] = {
    "subject_personalised": 0.15, "subject_question": 0.05, "subject_urgency": 0.04,
    "subject_exclamation": -0.06, "subject_long": -0.10}
# Characters above which a subject is cut off on most phones.
LONG_SUBJECT = 50
DRAWS = 20_000
SEED = 7


def subject_features(subjects: Sequence[str], *, send_hour: int, send_weekday: int,
                     hours_since_previous: float | None) -> pl.DataFrame:
    """``subject`` then ``CAMPAIGN_FEATURES`` of each alternative, all sent at the same
    moment (hour 0–23 UTC, ISO weekday) after the previous campaign."""
    if not subjects:
        raise ValueError("subjects is empty; pass at least one subject line")
    frame = campaign_features(pl.DataFrame({
        "campaign_id": [str(i) for i in range(len(subjects))],
        "subject_line": list(subjects),
        "send_at": pl.Series([None] * len(subjects), dtype=pl.Datetime("us", "UTC"))}))
    return (frame.sort(pl.col("campaign_id").cast(pl.Int64))
            .with_columns(send_hour=pl.lit(float(send_hour)),
                          send_weekday=pl.lit(float(send_weekday)),
                          hours_since_previous=pl.lit(hours_since_previous, pl.Float64))
            .select(pl.Series("subject", list(subjects)), *CAMPAIGN_FEATURES))


def fallback_open_rates(features: pl.DataFrame, base_rate: float) -> np.ndarray:
    """Expected open rate of each row of ``subject_features`` without an open model:
    ``base_rate`` (the recipients' recent open rate) shifted on the logit scale by
    ``FALLBACK_EFFECTS``; exclamation marks count at most twice, urgency words three
    times."""
    if not 0.0 < base_rate < 1.0:
        raise ValueError(f"base_rate must be in (0, 1), got {base_rate}")
    shift = features.select(
        FALLBACK_EFFECTS["subject_personalised"] * pl.col("subject_personalised")
        + FALLBACK_EFFECTS["subject_question"] * pl.col("subject_question").clip(0, 1)
        + FALLBACK_EFFECTS["subject_urgency"] * pl.col("subject_urgency").clip(0, 3)
        + FALLBACK_EFFECTS["subject_exclamation"] * pl.col("subject_exclamation").clip(0, 2)
        + FALLBACK_EFFECTS["subject_long"] * (pl.col("subject_length") > LONG_SUBJECT)
        .cast(pl.Float64)).to_series().to_numpy()
    logit = np.log(base_rate / (1 - base_rate)) + shift
    return np.asarray(1 / (1 + np.exp(-logit)), dtype=np.float64)


@dataclass(frozen=True)
class Allocation:
    """One variant's posterior (mean and 95 % interval of its open rate) and its share
    of the next sends."""

    variant: str
    sends: int
    opens: int
    posterior_mean: float
    lower: float
    upper: float
    share: float


def thompson_allocation(variants: Sequence[str], sends: Sequence[int],
                        opens: Sequence[int], *, draws: int = DRAWS,
                        seed: int = SEED) -> list[Allocation]:
    """Thompson-sampling shares of the next sends, from each variant's ``opens`` out of
    ``sends`` (Beta(1, 1) priors, ``draws`` seeded joint draws)."""
    if not variants:
        raise ValueError("variants is empty; the campaign has no sends to allocate from")
    if not len(variants) == len(sends) == len(opens):
        raise ValueError("variants, sends and opens must have the same length")
    n, k = np.asarray(sends, dtype=np.float64), np.asarray(opens, dtype=np.float64)
    if (n < 0).any() or (k < 0).any() or (k > n).any():
        raise ValueError("opens must be between 0 and sends for every variant")
    a, b = 1 + k, 1 + n - k
    rng = np.random.default_rng(seed)
    sample = rng.beta(a, b, size=(draws, len(variants)))
    wins = np.bincount(np.argmax(sample, axis=1), minlength=len(variants)) / draws
    lower, upper = np.quantile(sample, [0.025, 0.975], axis=0)
    return [Allocation(variant=str(v), sends=int(n[i]), opens=int(k[i]),
                       posterior_mean=float(a[i] / (a[i] + b[i])), lower=float(lower[i]),
                       upper=float(upper[i]), share=float(wins[i]))
            for i, v in enumerate(variants)]


def open_model_rates(artifact: bytes, recipients: pl.DataFrame,
                     subjects: pl.DataFrame, *, num_threads: int = 1) -> np.ndarray | None:
    """Mean P(open) over ``recipients`` (customer features) of each row of
    ``subject_features``, from an open-model artifact (``train_engagement``); None when
    the artifact serves its baseline, which does not look at the subject."""
    rates = pair_rates(artifact, recipients, subjects, kind="open", num_threads=num_threads)
    return None if rates is None else np.asarray(rates.mean(axis=0), dtype=np.float64)


def pair_rates(artifact: bytes, recipients: pl.DataFrame, subjects: pl.DataFrame, *,
               kind: str = "open", num_threads: int = 1) -> np.ndarray | None:
    """P(``kind``) of every recipient (rows) for every row of ``subject_features``
    (columns), from an open- or click-model artifact; None when the artifact serves its
    baseline or there are no recipients."""
    body = json.loads(artifact)
    if body.get("kind") != kind:
        raise ValueError(f"the artifact is a {body.get('kind')} model; pass an {kind} model")
    if body["served"] != "lightgbm" or recipients.is_empty():
        return None
    booster = lgb.Booster(model_str=body["booster"])
    names: list[str] = list(body["features"])
    rates = []
    for row in range(subjects.height):
        # The content and the recipients' affinity for its category (clicks and spend)
        # are the same for every alternative: left unknown, they move no subject
        # against another.
        pairs = recipients.with_columns(
            pl.lit(subjects[name][row], pl.Float64).alias(name) for name in CAMPAIGN_FEATURES
        ).with_columns(
            pl.lit(None, pl.Float64).alias(name)
            for name in (*CONTENT_FEATURES, "content_affinity", "category_spend_share")
        ).with_columns(distance=(pl.col("send_hour") - pl.col("preferred_open_hour")).abs())
        pairs = pairs.with_columns(
            hours_from_preferred=pl.min_horizontal("distance", 24 - pl.col("distance")))
        matrix = pairs.select(names).to_numpy().astype(np.float64)
        rates.append(np.asarray(booster.predict(matrix, num_threads=num_threads)))
    return np.column_stack(rates).astype(np.float64)
