"""RFM: recency, frequency and monetary quintile scores, and the named map of all 125.

Scores are 1-5 among customers with at least one order (5 = most recent, most orders,
most revenue): ``1 + floor(5 × (rank - 1) / n)`` with tied values sharing the lowest
rank, so equal customers always share a score. Customers without orders get no scores.

The named map reads recency ``R`` and the frequency-monetary score
``FM = ceil((F + M) / 2)``; the first rule that holds names the score:

====================  =====================
name                  R and FM
====================  =====================
Champions             R 5, FM 4-5
Loyal                 R 3-4, FM 4-5
Potential Loyalists   R 4-5, FM 2-3
New                   R 5, FM 1
Promising             R 4, FM 1
Need Attention        R 3, FM 3
About to Sleep        R 3, FM 1-2
Cannot Lose Them      R 1-2, FM 5
At Risk               R 1-2, FM 3-4
Hibernating           R 2, FM 1-2
Lost                  R 1, FM 1-2
====================  =====================

Every one of the 125 (R, F, M) scores meets exactly one row (``RFM_MAP``).
"""

from __future__ import annotations

import itertools

import polars as pl

RFM_NAMES: tuple[str, ...] = (
    "Champions", "Loyal", "Potential Loyalists", "New", "Promising", "Need Attention",
    "About to Sleep", "Cannot Lose Them", "At Risk", "Hibernating", "Lost",
)

# (name, recency scores, frequency-monetary scores), checked in order.
_RULES: tuple[tuple[str, frozenset[int], frozenset[int]], ...] = (
    ("Champions", frozenset({5}), frozenset({4, 5})),
    ("Loyal", frozenset({3, 4}), frozenset({4, 5})),
    ("Potential Loyalists", frozenset({4, 5}), frozenset({2, 3})),
    ("New", frozenset({5}), frozenset({1})),
    ("Promising", frozenset({4}), frozenset({1})),
    ("Need Attention", frozenset({3}), frozenset({3})),
    ("About to Sleep", frozenset({3}), frozenset({1, 2})),
    ("Cannot Lose Them", frozenset({1, 2}), frozenset({5})),
    ("At Risk", frozenset({1, 2}), frozenset({3, 4})),
    ("Hibernating", frozenset({2}), frozenset({1, 2})),
    ("Lost", frozenset({1}), frozenset({1, 2})),
)


def fm_score(frequency: int, monetary: int) -> int:
    """The frequency-monetary score: the mean of F and M, rounded up."""
    return (frequency + monetary + 1) // 2


def rfm_name(recency: int, frequency: int, monetary: int) -> str:
    """The segment name of one score (each of 1-5); raises ``ValueError`` otherwise."""
    scores = (recency, frequency, monetary)
    if any(score not in range(1, 6) for score in scores):
        raise ValueError(f"RFM scores run from 1 to 5; got {scores}")
    fm = fm_score(frequency, monetary)
    for name, recencies, fms in _RULES:
        if recency in recencies and fm in fms:
            return name
    raise AssertionError(f"no RFM name for {scores}")  # the table covers every score


RFM_MAP: dict[tuple[int, int, int], str] = {
    (r, f, m): rfm_name(r, f, m)
    for r, f, m in itertools.product(range(1, 6), range(1, 6), range(1, 6))}


def quintile(values: pl.Expr, *, descending: bool = False) -> pl.Expr:
    """1-5 by rank among the non-null ``values`` (ties share the lower score)."""
    rank = values.rank("min", descending=descending)
    count = values.count()
    return (1 + ((rank - 1) * 5) // count).cast(pl.Int64)


def rfm_scores(profiles: pl.DataFrame) -> pl.DataFrame:
    """``customer_id``, ``recency_score``, ``frequency_score``, ``monetary_score``,
    ``fm_score`` and ``rfm_segment`` for every profile with an order.

    ``profiles`` needs ``customer_id``, ``days_since_last_purchase``, ``purchases`` and
    ``lifetime_revenue``."""
    buyers = profiles.filter(pl.col("purchases") > 0)
    schema = {"customer_id": pl.String(), "recency_score": pl.Int64(),
              "frequency_score": pl.Int64(), "monetary_score": pl.Int64(),
              "fm_score": pl.Int64(), "rfm_segment": pl.String()}
    if buyers.is_empty():
        return pl.DataFrame(schema=schema)
    scored = buyers.select(
        "customer_id",
        quintile(pl.col("days_since_last_purchase"), descending=True).alias("recency_score"),
        quintile(pl.col("purchases")).alias("frequency_score"),
        quintile(pl.col("lifetime_revenue")).alias("monetary_score"),
    ).with_columns(((pl.col("frequency_score") + pl.col("monetary_score") + 1) // 2)
                   .alias("fm_score"))
    names = pl.DataFrame(
        {"recency_score": [r for r, _, _ in RFM_MAP], "frequency_score": [f for _, f, _ in RFM_MAP],
         "monetary_score": [m for _, _, m in RFM_MAP], "rfm_segment": list(RFM_MAP.values())},
        schema={"recency_score": pl.Int64, "frequency_score": pl.Int64,
                "monetary_score": pl.Int64, "rfm_segment": pl.String})
    joined = scored.join(names, on=["recency_score", "frequency_score", "monetary_score"],
                         how="left")
    return joined.select(list(schema)).sort("customer_id")


def rfm_grid(scores: pl.DataFrame) -> pl.DataFrame:
    """The 5 × 5 grid of recency by frequency-monetary score: every cell, with its
    customer count and name (``recency_score``, ``fm_score``, ``customers``, ``name``)."""
    cells = pl.DataFrame(
        [(r, fm) for r in range(5, 0, -1) for fm in range(1, 6)],
        schema={"recency_score": pl.Int64, "fm_score": pl.Int64}, orient="row")
    counts = scores.group_by("recency_score", "fm_score").agg(
        pl.len().cast(pl.Int64).alias("customers"))
    grid = cells.join(counts, on=["recency_score", "fm_score"], how="left",
                      maintain_order="left")
    # A cell's name is its scores' name; F and M equal to FM give it (ceil((x+x)/2) = x).
    names = [RFM_MAP[(r, fm, fm)] for r, fm in grid.select("recency_score", "fm_score").rows()]
    return grid.with_columns(pl.col("customers").fill_null(0),
                             pl.Series("name", names, dtype=pl.String))
