from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_series_equal

from analytics.metrics import (
    best_campaign_type,
    best_send_hour,
    best_subject_length,
    best_weekday,
    subject_length_band,
    subject_length_bands,
    with_send_time,
)
from tests.analytics.metrics.support import at, counters, message_frame

MESSAGES = message_frame(
    [
        # Monday 23:30 UTC is Tuesday morning in Tokyo and Monday evening in New York.
        {"message_id": 1, "sent_at": at(1, 23, 30), "delivered_at": at(1, 23, 30),
         "first_open_at": at(2, 7)},
        {"message_id": 2, "sent_at": at(2, 8), "delivered_at": at(2, 8)},
        {"message_id": 3, "sent_at": at(2, 8, 30), "delivered_at": at(2, 8, 30),
         "first_open_at": at(2, 9)},
    ]
)

CAMPAIGNS = counters(
    campaign_id=["c1", "c2", "c3", "c4", "c5", "c6"],
    subject=["s" * 20, "s" * 25, "s" * 40, "s" * 60, "s" * 75, None],
    campaign_type=["promo", "promo", "newsletter", "transactional", "promo", None],
    delivered=[2000, 2000, 3000, 1000, 500, 9999],
    unique_opens=[300, 340, 900, 200, 90, 9999],
    conversions=[60, 50, 30, 29, 40, 0],
)


@pytest.mark.parametrize(
    ("time_zone", "weekdays", "hours"),
    [
        ("UTC", [1, 2, 2], [23, 8, 8]),
        ("Asia/Tokyo", [2, 2, 2], [8, 17, 17]),
        ("America/New_York", [1, 2, 2], [18, 3, 3]),
    ],
)
def test_with_send_time(time_zone: str, weekdays: list[int], hours: list[int]) -> None:
    result = with_send_time(MESSAGES, time_zone=time_zone)
    assert_series_equal(result["weekday"], pl.Series("weekday", weekdays, pl.Int64))
    assert_series_equal(result["hour"], pl.Series("hour", hours, pl.Int64))


def test_best_send_hour_from_messages() -> None:
    insight = best_send_hour(with_send_time(MESSAGES), min_sample=1)
    assert [(g.key, g.successes, g.trials) for g in insight.groups] == [(8, 1, 2), (23, 1, 1)]
    assert insight.sample_size == 3
    assert insight.leader is not None and insight.leader.key == 23
    assert insight.best is None


def test_best_weekday_from_messages() -> None:
    insight = best_weekday(with_send_time(MESSAGES, time_zone="Asia/Tokyo"), min_sample=1)
    assert [(g.key, g.successes, g.trials) for g in insight.groups] == [(2, 2, 3)]
    assert insight.reason == "fewer than two groups have at least 1 delivered"


def test_subject_length_bands() -> None:
    assert subject_length_bands() == ["<30", "30-49", "50-69", "70+"]
    assert subject_length_bands([10, 20]) == ["<10", "10-19", "20+"]
    with pytest.raises(ValueError, match="edges must be increasing positive"):
        subject_length_bands([50, 30])
    frame = pl.DataFrame({"subject": ["s" * 29, "s" * 30, "s" * 69, "s" * 70, "", None]})
    bands = frame.select(subject_length_band(pl.col("subject")).alias("band"))["band"]
    assert bands.to_list() == ["<30", "30-49", "50-69", "70+", "<30", None]
    assert bands.dtype == pl.Enum(["<30", "30-49", "50-69", "70+"])


def test_best_subject_length() -> None:
    insight = best_subject_length(CAMPAIGNS)
    assert [(g.key, g.successes, g.trials) for g in insight.groups] == [
        ("<30", 640, 4000),
        ("30-49", 900, 3000),
        ("50-69", 200, 1000),
        ("70+", 90, 500),
    ]
    assert insight.best is not None and insight.best.key == "30-49"
    assert insight.sample_size == 8500


def test_best_campaign_type_needs_clear_evidence() -> None:
    insight = best_campaign_type(CAMPAIGNS)
    assert [(g.key, g.successes, g.trials) for g in insight.groups] == [
        ("newsletter", 30, 3000),
        ("promo", 150, 4500),
        ("transactional", 29, 1000),
    ]
    assert insight.metric == "conversion_rate"
    assert insight.leader is not None and insight.leader.key == "promo"
    assert insight.runner_up is not None and insight.runner_up.key == "transactional"
    assert insight.best is None


@settings(database=None, max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 120), min_size=1, max_size=5, unique=True).map(sorted),
       st.lists(st.integers(0, 150), min_size=1, max_size=20))
def test_a_subject_falls_in_the_band_of_its_length(edges: list[int],
                                                   lengths: list[int]) -> None:
    labels = subject_length_bands(edges)
    assert len(labels) == len(edges) + 1
    subjects = pl.DataFrame({"subject": ["x" * length for length in lengths]})
    bands = subjects.select(band=subject_length_band(pl.col("subject"), edges))["band"]
    for length, band in zip(lengths, bands.to_list(), strict=True):
        # The band index is the number of edges at or below the length: monotone.
        assert labels.index(band) == sum(edge <= length for edge in edges)
