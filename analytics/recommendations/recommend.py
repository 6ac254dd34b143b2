"""Fitting the recommender and recommending for customers.

Four sources of candidates, each scored in [0, 1] for a customer and weighted
(``WEIGHTS``); a candidate's score is the weighted sum and its reason comes from the
source that contributed most:

- co-occurrence ("bought with X", or "viewed with X"): item-item cosine similarity of
  the customers' decayed interaction weights (customers who bought or looked at X also
  bought or looked at this), summed over the customer's own items, scaled by the
  customer's best candidate;
- category affinity ("popular in Y"): the customer's share of weight in category Y
  times the item's popularity within Y;
- trending ("trending in Y"): the customer's share of Y times how far the item's
  purchases in the last ``TREND_DAYS`` exceed its rate over the ``TREND_BASE_DAYS``
  before (a z-like score, positive part);
- popularity ("popular overall"): decayed purchases over everyone, the fallback for a
  customer with no history.

Items the customer bought are never recommended.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl

from analytics.recommendations.interactions import customer_weights

# Tuned on the demo (5,000 customers, split 2026-09-15, 45 days; see bench/recommendations.py).
WEIGHTS = {"cooccurrence": 0.5, "affinity": 1.0, "trending": 0.2, "popular": 0.5}
NEIGHBOURS = 30
PER_CATEGORY = 30
TOP_CATEGORIES = 3
# Items a customer keeps in the co-occurrence count (their heaviest), so a heavy
# browser does not make every pair of items look related.
HISTORY_CAP = 50
TREND_DAYS = 14
TREND_BASE_DAYS = 56
RECOMMENDATIONS_SCHEMA: dict[str, pl.DataType] = {
    "customer_id": pl.String(), "rank": pl.Int64(), "product_id": pl.String(),
    "score": pl.Float64(), "source": pl.String(), "reason": pl.String()}


@dataclass(frozen=True)
class Model:
    """A fitted recommender as of ``as_of``: every customer's item weights, item-item
    similarities, category and overall popularity, trending items, and the catalog."""

    as_of: datetime
    weights: pl.DataFrame
    similar: pl.DataFrame
    popularity: pl.DataFrame
    trending: pl.DataFrame
    products: pl.DataFrame


def _similarities(weights: pl.DataFrame) -> pl.DataFrame:
    history = (weights.sort("weight", descending=True)
               .group_by("customer_id", maintain_order=True).head(HISTORY_CAP)
               .select("customer_id", "product_id", "weight"))
    norms = history.group_by("product_id").agg(norm=(pl.col("weight") ** 2).sum().sqrt())
    pairs = (history.join(history, on="customer_id", suffix="_other")
             .filter(pl.col("product_id") != pl.col("product_id_other"))
             .group_by("product_id", "product_id_other")
             .agg(dot=(pl.col("weight") * pl.col("weight_other")).sum()))
    return (pairs.join(norms, on="product_id")
            .join(norms.rename({"product_id": "product_id_other", "norm": "norm_other"}),
                  on="product_id_other")
            .select("product_id", neighbour="product_id_other",
                    similarity=pl.col("dot") / (pl.col("norm") * pl.col("norm_other")))
            .sort(["product_id", "similarity", "neighbour"], descending=[False, True, False])
            .group_by("product_id", maintain_order=True).head(NEIGHBOURS))


def _purchases(interactions: pl.DataFrame, start: datetime, end: datetime) -> pl.Expr:
    return ((pl.col("kind") == "purchase") & (pl.col("occurred_at") >= start)
            & (pl.col("occurred_at") < end))


def _trending(interactions: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    recent_start = as_of - timedelta(days=TREND_DAYS)
    base_start = recent_start - timedelta(days=TREND_BASE_DAYS)
    counts = interactions.group_by("product_id").agg(
        recent=_purchases(interactions, recent_start, as_of).sum(),
        base=_purchases(interactions, base_start, recent_start).sum())
    expected = pl.col("base") * (TREND_DAYS / TREND_BASE_DAYS)
    return (counts.with_columns(
        trend=((pl.col("recent") - expected) / (expected + 1).sqrt()).clip(lower_bound=0.0))
        .filter(pl.col("trend") > 0).select("product_id", "trend"))


def fit(interactions: pl.DataFrame, products: pl.DataFrame, *, as_of: datetime) -> Model:
    """Fit on ``interactions`` (``INTERACTIONS_SCHEMA``) before ``as_of`` and the catalog
    ``products`` (``PRODUCTS_SCHEMA``; items missing from it get the category
    "uncategorised")."""
    if as_of.tzinfo is None:
        raise ValueError(f"as_of {as_of.isoformat()} has no timezone; pass an aware UTC time")
    seen = interactions.filter(pl.col("occurred_at") < as_of)
    weights = customer_weights(seen, as_of=as_of)
    catalog = (products.select("product_id", "name", "category")
               .join(weights.select("product_id").unique(), on="product_id", how="full",
                     coalesce=True)
               .with_columns(name=pl.coalesce("name", "product_id"),
                             category=pl.col("category").fill_null("uncategorised")))
    decayed = customer_weights(seen.filter(pl.col("kind") == "purchase"), as_of=as_of)
    popularity = (catalog.select("product_id", "category")
                  .join(decayed.group_by("product_id").agg(pl.col("weight").sum()),
                        on="product_id", how="left")
                  .with_columns(pl.col("weight").fill_null(0.0))
                  .with_columns(
                      popular=pl.col("weight") / pl.col("weight").max().clip(1e-12),
                      in_category=pl.col("weight")
                      / pl.col("weight").max().over("category").clip(1e-12))
                  .select("product_id", "category", "popular", "in_category")
                  .sort("product_id"))
    trending = (_trending(seen, as_of)
                .join(catalog.select("product_id", "category"), on="product_id")
                .with_columns(trend=pl.col("trend") / pl.col("trend").max().clip(1e-12)))
    return Model(as_of=as_of, weights=weights, similar=_similarities(weights),
                 popularity=popularity, trending=trending, products=catalog)


def _affinities(model: Model, customers: pl.DataFrame) -> pl.DataFrame:
    return (model.weights.join(customers, on="customer_id", how="semi")
            .join(model.products.select("product_id", "category"), on="product_id")
            .group_by("customer_id", "category").agg(pl.col("weight").sum())
            .with_columns(share=pl.col("weight") / pl.col("weight").sum().over("customer_id"))
            .sort(["customer_id", "share", "category"], descending=[False, True, False])
            .group_by("customer_id", maintain_order=True).head(TOP_CATEGORIES)
            .select("customer_id", "category", "share"))


def _cooccurrence(model: Model, customers: pl.DataFrame) -> pl.DataFrame:
    names = model.products.select(pl.col("product_id").alias("via"), via_name="name")
    contributions = (model.weights.join(customers, on="customer_id", how="semi")
                     .join(model.similar, on="product_id")
                     .select("customer_id", product_id="neighbour",
                             via="product_id", via_bought="purchased",
                             value=pl.col("weight") * pl.col("similarity")))
    best = (contributions.sort(["value", "via"], descending=[True, False])
            .group_by("customer_id", "product_id", maintain_order=True)
            .agg(pl.col("value").sum(), pl.col("via").first(), pl.col("via_bought").first()))
    return (best.with_columns(value=pl.col("value")
                              / pl.col("value").max().over("customer_id").clip(1e-12))
            .join(names, on="via", how="left")
            .select("customer_id", "product_id", "value", source=pl.lit("cooccurrence"),
                    reason=pl.when(pl.col("via_bought"))
                    .then(pl.lit("bought with ") + pl.col("via_name"))
                    .otherwise(pl.lit("viewed with ") + pl.col("via_name"))))


def _by_category(affinity: pl.DataFrame, items: pl.DataFrame, column: str,
                 source: str, words: str) -> pl.DataFrame:
    top = (items.sort([column, "product_id"], descending=[True, False])
           .group_by("category", maintain_order=True).head(PER_CATEGORY))
    return (affinity.join(top, on="category")
            .select("customer_id", "product_id", value=pl.col("share") * pl.col(column),
                    source=pl.lit(source), reason=pl.lit(words) + pl.col("category")))


def popular(model: Model, customers: Sequence[str], *, limit: int) -> pl.DataFrame:
    """The popularity baseline: the most purchased items (decayed) that the customer has
    not bought, in ``RECOMMENDATIONS_SCHEMA``."""
    return _ranked(_popular_candidates(model, pl.DataFrame(
        {"customer_id": list(customers)}, schema={"customer_id": pl.String()}), limit),
        model, limit)


def _popular_candidates(model: Model, customers: pl.DataFrame, limit: int) -> pl.DataFrame:
    reach = limit + HISTORY_CAP
    top = (model.popularity.sort(["popular", "product_id"], descending=[True, False])
           .head(reach).select("product_id", "popular"))
    return customers.join(top, how="cross").select(
        "customer_id", "product_id", value="popular", source=pl.lit("popular"),
        reason=pl.lit("popular overall"))


def _ranked(candidates: pl.DataFrame, model: Model, limit: int) -> pl.DataFrame:
    bought = model.weights.filter(pl.col("purchased")).select("customer_id", "product_id")
    weight = pl.col("source").replace_strict(WEIGHTS, return_dtype=pl.Float64)
    scored = (candidates.join(bought, on=["customer_id", "product_id"], how="anti")
              .with_columns(contribution=pl.col("value") * weight)
              .sort(["contribution", "source"], descending=[True, False])
              .group_by("customer_id", "product_id", maintain_order=True)
              .agg(score=pl.col("contribution").sum(), source=pl.col("source").first(),
                   reason=pl.col("reason").first()))
    return (scored.sort(["customer_id", "score", "product_id"], descending=[False, True, False])
            .group_by("customer_id", maintain_order=True).head(limit)
            .with_columns(rank=pl.int_range(1, pl.len() + 1).over("customer_id"))
            .select(list(RECOMMENDATIONS_SCHEMA)).cast(RECOMMENDATIONS_SCHEMA))  # type: ignore[arg-type]


def recommend(model: Model, customers: Sequence[str], *, limit: int) -> pl.DataFrame:
    """Up to ``limit`` recommendations per customer (``RECOMMENDATIONS_SCHEMA``: rank 1
    is the best), from every source, purchased items excluded."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    who = pl.DataFrame({"customer_id": list(customers)}, schema={"customer_id": pl.String()})
    affinity = _affinities(model, who)
    parts = [
        _cooccurrence(model, who),
        _by_category(affinity, model.popularity, "in_category", "affinity", "popular in "),
        _by_category(affinity, model.trending, "trend", "trending", "trending in "),
        _popular_candidates(model, who, limit),
    ]
    return _ranked(pl.concat([part.select("customer_id", "product_id",
                                          pl.col("value").cast(pl.Float64), "source",
                                          "reason") for part in parts]), model, limit)
