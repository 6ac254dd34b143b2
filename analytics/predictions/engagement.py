"""Engagement: P(open) and P(click) of a (customer, campaign) pair.

Training pairs are the sends of a window with the customer's point-in-time features at
the window's start, the campaign's features and pair features. The target is people's
engagement: a send whose only opens came from a mail-privacy proxy tells nothing about
the person, so it is left out of both training and evaluation (counting it as opened
would teach the model Apple Mail, counting it as unopened would punish it). The
baseline is the customer's own smoothed rate over the previous 90 days.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime

import lightgbm as lgb
import numpy as np
import polars as pl

from analytics.predictions.churn import TrainedModel, choose
from analytics.predictions.evaluation import classification_metrics
from analytics.predictions.features import FEATURES, UTC

TARGETS = ("open", "click")
SENDS_SCHEMA: dict[str, pl.DataType] = {
    "customer_id": pl.String(), "campaign_id": pl.String(), "sent_at": UTC,
    "first_human_open_at": UTC, "first_click_at": UTC, "machine_open_count": pl.Int64()}
CAMPAIGNS_SCHEMA: dict[str, pl.DataType] = {
    "campaign_id": pl.String(), "subject_line": pl.String(), "send_at": UTC}
CAMPAIGN_FEATURES = ("subject_length", "subject_words", "subject_exclamation",
                     "subject_question", "subject_personalised", "subject_urgency",
                     "send_hour", "send_weekday", "hours_since_previous")
PAIR_FEATURES = ("hours_from_preferred",)
ENGAGEMENT_FEATURES: tuple[str, ...] = (*FEATURES, *CAMPAIGN_FEATURES, *PAIR_FEATURES)
# Words that press for action now; the urgency score counts them in a subject.
URGENCY = ("now", "today", "tonight", "hurry", "last chance", "ends", "final", "limited",
           "only", "expires", "last day")
# Merge tags of the common ESPs: {{first_name}}, *|FNAME|*, %FIRSTNAME%, {name}.
PERSONALISATION = r"\{\{[^}]*\}\}|\*\|[^|]*\|\*|%[A-Za-z_]+%|\{[A-Za-z_]+\}"
_URGENCY = r"(?i)\b(" + "|".join(re.escape(word) for word in URGENCY) + r")\b"
# Pseudo-sends at the overall rate that shrink a customer's own rate in the baseline.
BASELINE_STRENGTH = 3.0
SEED = 7


def campaign_features(campaigns: pl.DataFrame) -> pl.DataFrame:
    """``campaign_id`` and ``CAMPAIGN_FEATURES`` (send hour and weekday in UTC; hours
    since the campaign sent before it, null for the first)."""
    subject = pl.col("subject_line").fill_null("")
    return campaigns.sort("send_at", nulls_last=True).with_columns(
        subject_length=subject.str.len_chars().cast(pl.Float64),
        subject_words=subject.str.split(" ").list.eval(pl.element().filter(
            pl.element() != "")).list.len().cast(pl.Float64),
        subject_exclamation=subject.str.count_matches("!").cast(pl.Float64),
        subject_question=subject.str.count_matches(r"\?").cast(pl.Float64),
        subject_personalised=subject.str.contains(PERSONALISATION).cast(pl.Float64),
        subject_urgency=subject.str.count_matches(_URGENCY).cast(pl.Float64),
        send_hour=pl.col("send_at").dt.hour().cast(pl.Float64),
        send_weekday=pl.col("send_at").dt.weekday().cast(pl.Float64),
        hours_since_previous=(pl.col("send_at") - pl.col("send_at").shift(1))
        .dt.total_minutes().cast(pl.Float64) / 60,
    ).select("campaign_id", *CAMPAIGN_FEATURES)


def engagement_pairs(sends: pl.DataFrame, campaigns: pl.DataFrame,
                     features: pl.DataFrame, *, start: datetime,
                     end: datetime) -> pl.DataFrame:
    """The sends of ``[start, end)`` with customer ``features`` (built at ``start``),
    campaign and pair features, and the targets ``open`` and ``click`` (by ``end``);
    sends with only machine opens are left out."""
    window = sends.filter((pl.col("sent_at") >= start) & (pl.col("sent_at") < end))
    human = pl.col("first_human_open_at").is_not_null() & (pl.col("first_human_open_at") < end)
    clicked = pl.col("first_click_at").is_not_null() & (pl.col("first_click_at") < end)
    machine_only = (pl.col("machine_open_count") > 0) & ~human
    hour = pl.col("sent_at").dt.hour().cast(pl.Float64)
    distance = (hour - pl.col("preferred_open_hour")).abs()
    return (window.filter(~machine_only)
            .with_columns(open=human | clicked, click=clicked)
            .join(features, on="customer_id", how="inner")
            .join(campaign_features(campaigns), on="campaign_id", how="left")
            .with_columns(send_hour=pl.coalesce("send_hour", hour),
                          hours_from_preferred=pl.min_horizontal(distance, 24 - distance))
            .select("customer_id", "campaign_id", *ENGAGEMENT_FEATURES, "open", "click"))


def _baseline(frame: pl.DataFrame, target: str, prior: float) -> np.ndarray:
    events = "opens_90d" if target == "open" else "clicks_90d"
    rate = ((pl.col(events) + BASELINE_STRENGTH * prior)
            / (pl.col("sends_90d") + BASELINE_STRENGTH))
    return frame.select(rate.clip(0.0, 1.0)).to_series().to_numpy().astype(np.float64)


def train_engagement(train: pl.DataFrame, holdout: pl.DataFrame, *, target: str,
                     features: Sequence[str] = ENGAGEMENT_FEATURES, num_threads: int = 1,
                     max_rounds: int = 400) -> TrainedModel:
    """LightGBM for P(``target``) of a pair against the customer's own smoothed rate,
    both judged on ``holdout`` (pairs of a later window)."""
    if target not in TARGETS:
        raise ValueError(f"target {target!r} is unknown; choose open or click")
    x = train.select(features).to_numpy().astype(np.float64)
    y = train[target].cast(pl.Float64).to_numpy()
    stop = np.random.default_rng(SEED).random(y.size) < 0.2
    params = {"objective": "binary", "learning_rate": 0.1, "num_leaves": 31,
              "min_data_in_leaf": 50, "lambda_l2": 1.0, "seed": SEED, "deterministic": True,
              "num_threads": num_threads, "verbose": -1}
    fit_set = lgb.Dataset(x[~stop], y[~stop], feature_name=list(features))
    booster = lgb.train(params, fit_set, num_boost_round=max_rounds,
                        valid_sets=[lgb.Dataset(x[stop], y[stop], reference=fit_set)],
                        callbacks=[lgb.early_stopping(30, verbose=False)])
    prior = float(y.mean())
    y_holdout = holdout[target].cast(pl.Float64).to_numpy()
    model_p = np.asarray(booster.predict(holdout.select(features).to_numpy()
                                         .astype(np.float64),
                                         num_iteration=booster.best_iteration))
    model_metrics = classification_metrics(y_holdout, model_p)
    baseline_metrics = classification_metrics(y_holdout, _baseline(holdout, target, prior))
    served, reason = choose(model_metrics, baseline_metrics)
    gains = booster.feature_importance(importance_type="gain", iteration=booster.best_iteration)
    total = float(gains.sum()) or 1.0
    importance = tuple(sorted(((n, float(g) / total) for n, g in zip(features, gains,
                                                                      strict=True)),
                              key=lambda item: -item[1]))
    artifact = json.dumps({
        "kind": target, "served": served, "features": list(features),
        "booster": booster.model_to_string(num_iteration=booster.best_iteration),
        "baseline": {"prior": prior, "strength": BASELINE_STRENGTH},
    }).encode()
    return TrainedModel(kind=target, served=served, reason=reason,
                        model_metrics=model_metrics, baseline_metrics=baseline_metrics,
                        importance=importance, artifact=artifact, features=tuple(features),
                        train_rows=int(y.size), holdout_rows=int(y_holdout.size),
                        best_iteration=int(booster.best_iteration or max_rounds))
