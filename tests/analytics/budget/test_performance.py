from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.budget.performance import (
    categorise,
    category_performance,
    content_roi,
    spend_by,
)

SPEND = pl.DataFrame({
    "category": ["email", "email", "social", "social", "misc"],
    "cost_type": ["esp_fees", None, "media", "media", "copywriting"],
    "vendor": ["ESP", "ESP", "Ads", "Ads", "Writer"],
    "campaign_id": [None, None, None, None, "c1"],
    "month": ["2026-01", "2026-02", "2026-01", "2026-02", "2026-01"],
    "amount": [100.0, 100.0, 200.0, 300.0, 50.0],
})
RESULTS = pl.DataFrame({
    "category": ["technology", "email", "email", "social", "social", "content"],
    "month": ["2026-01", "2026-01", "2026-02", "2026-01", "2026-02", "2026-01"],
    "revenue": [300.0, 0.0, 250.0, 200.0, 300.0, 100.0],
    "conversions": [3.0, 0.0, 5.0, 4.0, 6.0, 0.0],
})


def test_cost_types_decide_the_category_and_unmapped_rows_keep_theirs():
    assert categorise(SPEND)["category"].to_list() == [
        "technology", "email", "social", "social", "content"]
    assert categorise(SPEND, {})["category"].to_list() == SPEND["category"].to_list()


def test_spend_by_vendor_largest_first():
    assert spend_by(SPEND, "vendor").rows() == [("Ads", 500.0), ("ESP", 200.0),
                                                ("Writer", 50.0)]
    with pytest.raises(ValueError, match="key must be one of"):
        spend_by(SPEND, "amount")


def test_golden_roi_cpa_efficiency_consistency():
    rows = {r.category: r for r in category_performance(categorise(SPEND), RESULTS,
                                                         emails_sent=1000)}
    assert sorted(rows) == ["content", "email", "social", "technology"]
    social = rows["social"]
    assert (social.spend, social.revenue, social.conversions) == (500.0, 500.0, 10.0)
    assert social.roi_percent == 0.0
    assert social.cpa == 50.0
    assert social.revenue_per_email == 0.5
    # spend 750 in all, revenue 1150: social has 500/1150 of revenue for 500/750 of spend
    assert round(social.efficiency, 6) == round((500 / 1150) / (500 / 750), 6) == 0.652174
    # monthly ratios 1.0 and 1.0: perfectly consistent
    assert social.consistency == 1.0
    tech = rows["technology"]
    assert tech.roi_percent == 200.0 and round(tech.cpa, 6) == 33.333333
    assert tech.consistency is None  # one month cannot show consistency
    email = rows["email"]
    # its January invoice was ESP fees (technology); February spent 100 and returned 250
    assert (email.spend, email.revenue, email.roi_percent) == (100.0, 250.0, 150.0)
    content = rows["content"]
    assert content.cpa is None and content.roi_percent == 100.0
    # the best category on every part scores highest
    assert max(rows.values(), key=lambda r: r.score).category == "technology"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(1, 6),
                          st.floats(1, 1e4), st.floats(0, 1e5)), min_size=1, max_size=20),
       st.floats(0.01, 1000))
def test_efficiency_roi_and_consistency_ignore_the_currency_scale(rows, factor):
    spend = pl.DataFrame({"category": [r[0] for r in rows], "month": [r[1] for r in rows],
                          "amount": [r[2] for r in rows]})
    results = pl.DataFrame({"category": [r[0] for r in rows], "month": [r[1] for r in rows],
                            "revenue": [r[3] for r in rows], "conversions": [1.0] * len(rows)})
    base = category_performance(spend, results)
    scaled = category_performance(spend.with_columns(pl.col("amount") * factor),
                                  results.with_columns(pl.col("revenue") * factor))
    for a, b in zip(base, scaled, strict=True):
        for name in ("efficiency", "roi_percent", "consistency", "score"):
            x, y = getattr(a, name), getattr(b, name)
            assert (x is None) == (y is None)
            if x is not None:
                assert y == pytest.approx(x, rel=1e-6, abs=1e-9)
        assert 0 <= a.score <= 1


def test_consistency_golden():
    spend = pl.DataFrame({"category": ["a", "a"], "month": [1, 2], "amount": [100.0, 100.0]})
    results = pl.DataFrame({"category": ["a", "a"], "month": [1, 2], "revenue": [0.0, 250.0],
                            "conversions": [0.0, 5.0]})
    (row,) = category_performance(spend, results)
    # ratios 0 and 2.5: mean 1.25, sample sd 1.767767, CV 1.414214
    assert round(row.consistency, 6) == 0.414214


def test_content_roi_by_content_type():
    spend = pl.DataFrame({
        "category": ["content", "content", "content", "social"],
        "campaign_id": ["c1", "c2", None, "c3"],
        "amount": [100.0, 50.0, 999.0, 10.0]})
    campaigns = pl.DataFrame({"campaign_id": ["c1", "c2", "c3"],
                              "campaign_type": ["newsletter", "promotional", "promotional"],
                              "revenue": [300.0, 25.0, 5000.0]})
    assert content_roi(spend, campaigns).rows() == [
        ("newsletter", 1, 100.0, 300.0, 200.0), ("promotional", 1, 50.0, 25.0, -50.0)]
