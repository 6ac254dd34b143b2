from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings

from analytics.metrics import compute_rates, rank_campaigns
from tests.analytics.metrics.support import counter_frames, counters

CAMPAIGNS = counters(
    campaign_id=["c1", "c2", "c3", "c4", "c5", "c6"],
    name=["Spring", "Summer", "Tiny", "Big", "Autumn", "Unsent"],
    sent=[1010, 520, 50, 2100, 1000, 0],
    bounced=[10, 20, 0, 100, 0, 0],
    delivered=[1000, 500, 50, 2000, 1000, 0],
    unique_opens=[250, 200, 40, 300, 250, 0],
)


def test_best_and_worst_by_open_rate() -> None:
    ranking = rank_campaigns(CAMPAIGNS, "open_rate", limit=3)
    assert ranking.best.select("rank", "campaign_id", "name", "open_rate").rows() == [
        (1, "c2", "Summer", 0.4),
        (2, "c1", "Spring", 0.25),
        (3, "c5", "Autumn", 0.25),
    ]
    assert ranking.worst.select("rank", "campaign_id", "open_rate").rows() == [
        (1, "c4", 0.15),
        (2, "c1", 0.25),
        (3, "c5", 0.25),
    ]
    assert (ranking.ranked, ranking.excluded, ranking.min_delivered) == (4, 2, 100)
    assert ranking.best.columns[:3] == ["rank", "campaign_id", "name"]
    assert ranking.best.schema["rank"] == pl.Int64


def test_lower_is_better_metric_ranks_lowest_first() -> None:
    ranking = rank_campaigns(CAMPAIGNS, "bounce_rate", limit=2, min_delivered=40)
    assert ranking.best["campaign_id"].to_list() == ["c5", "c3"]  # tie: more delivered first
    assert ranking.worst["campaign_id"].to_list() == ["c4", "c2"]


def test_rates_already_present_are_used() -> None:
    rated = compute_rates(CAMPAIGNS)
    assert rank_campaigns(rated, "open_rate").best.equals(
        rank_campaigns(CAMPAIGNS, "open_rate").best
    )


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="unknown metric 'opens'"):
        rank_campaigns(CAMPAIGNS, "opens")
    with pytest.raises(ValueError, match="limit must be at least 1; got 0"):
        rank_campaigns(CAMPAIGNS, "open_rate", limit=0)


@settings(database=None, max_examples=40, deadline=None)
@given(counter_frames(dimension="campaign_id"))
def test_best_list_is_ordered_and_thresholded(frame: pl.DataFrame) -> None:
    frame = frame.with_row_index("id")
    ranking = rank_campaigns(frame, "click_rate", min_delivered=10, limit=5, id_column="id")
    rates = ranking.best["click_rate"].to_list()
    assert rates == sorted(rates, reverse=True)
    assert all(d >= 10 for d in ranking.best["delivered"])
    assert ranking.ranked + ranking.excluded == frame.height
    assert ranking.best["rank"].to_list() == list(range(1, min(5, ranking.ranked) + 1))
