"""Offline evaluation on a time split: fit on everything before ``split``, recommend for
every customer who bought something new (an item they had not bought before the split)
in ``[split, split + horizon)``, and score the lists against those new purchases.

- hit rate@k: the share of those customers with at least one new purchase in their top k;
- recall@k: the mean over those customers of (new purchases in the top k) / (new
  purchases).

The popularity baseline is scored on the same customers with the same exclusion of
items bought before the split.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl

from analytics.recommendations.recommend import fit, popular, recommend

KS = (5, 10)


@dataclass(frozen=True)
class MethodScores:
    """``hit_rate`` and ``recall`` by k (same order as ``Evaluation.ks``)."""

    method: str
    hit_rate: tuple[float, ...]
    recall: tuple[float, ...]


@dataclass(frozen=True)
class Evaluation:
    split: datetime
    horizon_days: int
    ks: tuple[int, ...]
    customers: int
    train_interactions: int
    recommender: MethodScores
    popularity: MethodScores


def _scores(method: str, lists: pl.DataFrame, truth: pl.DataFrame,
            ks: Sequence[int]) -> MethodScores:
    sizes = truth.group_by("customer_id").agg(relevant=pl.len())
    hits, recalls = [], []
    for k in ks:
        found = (lists.filter(pl.col("rank") <= k)
                 .join(truth, on=["customer_id", "product_id"])
                 .group_by("customer_id").agg(found=pl.len()))
        per = sizes.join(found, on="customer_id", how="left").with_columns(
            pl.col("found").fill_null(0))
        hits.append(float(per.select((pl.col("found") > 0).mean()).item()))
        recalls.append(float(per.select((pl.col("found") / pl.col("relevant")).mean())
                             .item()))
    return MethodScores(method=method, hit_rate=tuple(hits), recall=tuple(recalls))


def evaluate(interactions: pl.DataFrame, products: pl.DataFrame, *, split: datetime,
             horizon_days: int = 30, ks: Sequence[int] = KS) -> Evaluation:
    """Recommender against popularity on the purchases of ``[split, split +
    horizon_days)``; raises ``ValueError`` when nobody bought anything new there."""
    if horizon_days < 1:
        raise ValueError(f"horizon_days must be at least 1, got {horizon_days}")
    if not ks or min(ks) < 1:
        raise ValueError("ks must hold positive list lengths, e.g. 5 and 10")
    model = fit(interactions, products, as_of=split)
    end = split + timedelta(days=horizon_days)
    before = model.weights.filter(pl.col("purchased")).select("customer_id", "product_id")
    truth = (interactions.filter((pl.col("kind") == "purchase")
                                 & (pl.col("occurred_at") >= split)
                                 & (pl.col("occurred_at") < end))
             .select("customer_id", "product_id").unique()
             .join(before, on=["customer_id", "product_id"], how="anti"))
    if truth.is_empty():
        raise ValueError(f"nobody bought a new item between {split.isoformat()} and "
                         f"{end.isoformat()}; choose an earlier split or a longer horizon")
    customers = truth["customer_id"].unique().sort().to_list()
    depth = max(ks)
    return Evaluation(
        split=split, horizon_days=horizon_days, ks=tuple(ks), customers=len(customers),
        train_interactions=interactions.filter(pl.col("occurred_at") < split).height,
        recommender=_scores("recommender", recommend(model, customers, limit=depth),
                            truth, ks),
        popularity=_scores("popularity", popular(model, customers, limit=depth), truth, ks))
