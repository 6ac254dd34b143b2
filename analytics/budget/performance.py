"""Spend performance: what each category cost and returned.

Spend rows carry a ``category`` and a ``cost_type``; a cost type named in the mapping
(``DEFAULT_COST_TYPES``, editable by the caller) decides the category, so a copywriting
invoice filed under "misc" still counts as content. Rows with an unmapped cost type keep
their own category.

Per category the report gives spend, attributed revenue and conversions, ROI % =
(revenue - spend) / spend x 100, CPA = spend / conversions, revenue per email sent,
ROI consistency and an efficiency score.

**Efficiency** = (category's share of all attributed revenue) / (category's share of all
spend). It is a ratio of ratios, so multiplying every amount by a constant (another
currency, cents instead of dollars) leaves it unchanged; 1 means the category returns
its fair share, 2 twice its share.

**Consistency** = 1 / (1 + CV) where CV is the coefficient of variation of the monthly
revenue/spend ratio over the months with spend: 1 for a category that returns the same
every month, towards 0 for one whose return swings. Also scale-free.

**Composite score** (used by the score-weighted allocation) = the mean of ROI,
efficiency and consistency, each min-max scaled over the categories to [0, 1].
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

DEFAULT_COST_TYPES: dict[str, str] = {
    "esp_fees": "technology",
    "software": "technology",
    "copywriting": "content",
    "design": "content",
    "verification_services": "list_management",
    "list_cleaning": "list_management",
    "lead_generation": "acquisition",
    "staff_salaries": "people",
    "contractors": "people",
    "advertising": "advertising",
    "a_b_testing": "testing",
}
SPEND_COLUMNS = ("category", "cost_type", "vendor", "campaign_id", "month", "amount")
RESULT_COLUMNS = ("category", "month", "revenue", "conversions")


@dataclass(frozen=True)
class CategoryPerformance:
    """One category's return over the period (``None`` where undefined, e.g. CPA with
    no conversions)."""

    category: str
    spend: float
    revenue: float
    conversions: float
    roi_percent: float | None
    cpa: float | None
    revenue_per_email: float | None
    consistency: float | None
    efficiency: float | None
    score: float = 0.0


def categorise(spend: pl.DataFrame, cost_types: Mapping[str, str] | None = None,
               ) -> pl.DataFrame:
    """``spend`` with ``category`` replaced by the mapped category of its cost type
    (``cost_types`` defaults to ``DEFAULT_COST_TYPES``)."""
    mapping = dict(DEFAULT_COST_TYPES if cost_types is None else cost_types)
    if not mapping:
        return spend
    mapped = pl.col("cost_type").replace_strict(mapping, default=None, return_dtype=pl.String)
    return spend.with_columns(category=pl.coalesce(mapped, pl.col("category")))


def spend_by(spend: pl.DataFrame, key: str) -> pl.DataFrame:
    """Total ``amount`` per ``key`` (category, cost_type, vendor, campaign_id or month),
    largest first, ties by key; rows with no key are grouped under ``None``."""
    if key not in SPEND_COLUMNS[:-1]:
        raise ValueError(f"key must be one of {', '.join(SPEND_COLUMNS[:-1])}, got {key!r}")
    return (spend.group_by(key).agg(amount=pl.col("amount").sum())
            .sort(["amount", key], descending=[True, False], nulls_last=True))


def _consistency(ratios: Sequence[float]) -> float | None:
    if len(ratios) < 2:
        return None
    mean = sum(ratios) / len(ratios)
    if mean <= 0:
        return 0.0
    var = sum((r - mean) ** 2 for r in ratios) / (len(ratios) - 1)
    return 1.0 / (1.0 + math.sqrt(var) / mean)


def _minmax(values: list[float | None]) -> list[float]:
    known = [v for v in values if v is not None]
    if not known:
        return [0.0] * len(values)
    lo, hi = min(known), max(known)
    return [0.0 if v is None else (1.0 if hi == lo else (v - lo) / (hi - lo)) for v in values]


def category_performance(spend: pl.DataFrame, results: pl.DataFrame, *,
                         emails_sent: int = 0) -> list[CategoryPerformance]:
    """Each category's performance, sorted by category.

    ``spend`` holds ``category, month, amount`` (already categorised); ``results`` holds
    the attributed ``category, month, revenue, conversions``. Months are any sortable
    label (dates or ``YYYY-MM``). ``emails_sent`` over the period gives revenue per email.
    """
    monthly_spend = spend.group_by("category", "month").agg(spend=pl.col("amount").sum())
    monthly_result = results.group_by("category", "month").agg(
        revenue=pl.col("revenue").sum(), conversions=pl.col("conversions").sum())
    monthly = monthly_spend.join(monthly_result, on=["category", "month"], how="full",
                                 coalesce=True).fill_null(0.0)
    totals = monthly.group_by("category").agg(
        spend=pl.col("spend").sum(), revenue=pl.col("revenue").sum(),
        conversions=pl.col("conversions").sum()).sort("category")
    all_spend = float(totals["spend"].sum())
    all_revenue = float(totals["revenue"].sum())
    rows: list[CategoryPerformance] = []
    for row in totals.iter_rows(named=True):
        cost, revenue, conv = float(row["spend"]), float(row["revenue"]), float(row["conversions"])
        months = monthly.filter((pl.col("category") == row["category"]) & (pl.col("spend") > 0))
        ratios = [r / s for r, s in zip(months["revenue"].to_list(), months["spend"].to_list(),
                                        strict=True)]
        efficiency = None
        if cost > 0 and all_spend > 0 and all_revenue > 0:
            efficiency = (revenue / all_revenue) / (cost / all_spend)
        rows.append(CategoryPerformance(
            category=row["category"], spend=cost, revenue=revenue, conversions=conv,
            roi_percent=(revenue - cost) / cost * 100 if cost > 0 else None,
            cpa=cost / conv if conv > 0 else None,
            revenue_per_email=revenue / emails_sent if emails_sent > 0 else None,
            consistency=_consistency(ratios), efficiency=efficiency))
    return with_scores(rows)


def with_scores(rows: list[CategoryPerformance]) -> list[CategoryPerformance]:
    """``rows`` with ``score``: the composite of ROI, efficiency and consistency."""
    parts = [_minmax([r.roi_percent for r in rows]), _minmax([r.efficiency for r in rows]),
             _minmax([r.consistency for r in rows])]
    return [CategoryPerformance(**{**r.__dict__, "score": sum(p[i] for p in parts) / 3})
            for i, r in enumerate(rows)]


CONTENT_COLUMNS = ("content_type", "campaigns", "spend", "revenue", "roi_percent")


def content_roi(spend: pl.DataFrame, campaigns: pl.DataFrame,
                content_categories: Sequence[str] = ("content",)) -> pl.DataFrame:
    """Content cost and return by content type (the campaign type): spend rows of
    ``content_categories`` that name a campaign, against the revenue of the campaigns
    they paid for (``campaigns``: ``campaign_id, campaign_type, revenue``). Columns
    ``CONTENT_COLUMNS``, by content type; ROI % is null without spend."""
    paid = (spend.filter(pl.col("category").is_in(list(content_categories))
                         & pl.col("campaign_id").is_not_null())
            .group_by("campaign_id").agg(spend=pl.col("amount").sum()))
    joined = paid.join(campaigns, on="campaign_id", how="inner")
    return (joined.group_by("campaign_type")
            .agg(campaigns=pl.len(), spend=pl.col("spend").sum(),
                 revenue=pl.col("revenue").sum())
            .with_columns(roi_percent=pl.when(pl.col("spend") > 0).then(
                (pl.col("revenue") - pl.col("spend")) / pl.col("spend") * 100))
            .rename({"campaign_type": "content_type"})
            .select(CONTENT_COLUMNS).sort("content_type", nulls_last=True))
