from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from analytics.metrics import Granularity
from server.runners.base import Memo
from server.runners.filters import FilterError, ReportFilters


def test_filters_normalise_and_compare_equal() -> None:
    one = ReportFilters(start=date(2026, 3, 1), end=date(2026, 3, 31), granularity="week",
                        campaign_types=(" promo ", "news", "promo", ""),
                        segment_ids=("b", "a"))
    assert one.granularity is Granularity.WEEK
    assert (one.campaign_types, one.segment_ids) == (("news", "promo"), ("a", "b"))
    assert one == ReportFilters(start=date(2026, 3, 1), end=date(2026, 3, 31),
                                campaign_types=("promo", "news"), segment_ids=("a", "b"))
    assert hash(one) == hash(ReportFilters(start=date(2026, 3, 1), end=date(2026, 3, 31),
                                           campaign_types=("news", "promo"),
                                           segment_ids=("a", "b")))
    assert ReportFilters().segment_filter is None and one.segment_filter == ("a", "b")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"start": date(2026, 4, 1), "end": date(2026, 3, 1)},
     "from (2026-04-01) is after to (2026-03-01); swap them or widen the range"),
    ({"granularity": "fortnight"},
     "granularity: 'fortnight' is not one of DAY, WEEK, MONTH, QUARTER, YEAR"),
    ({"start": date(2020, 1, 1), "end": date(2026, 1, 1), "granularity": "day"},
     "granularity DAY from 2020-01-01 to 2026-01-01 gives about 2193 periods (at most "
     "400); pick a coarser granularity or a shorter range"),
])
def test_filters_refuse_with_the_argument_named(kwargs: dict, message: str) -> None:
    with pytest.raises(FilterError) as error:
        ReportFilters(**kwargs)
    assert str(error.value) == message


def test_day_filter_and_campaign_types() -> None:
    rows = pl.DataFrame({"day": [date(2026, 2, 28), date(2026, 3, 1), date(2026, 3, 31),
                                 date(2026, 4, 1)]})
    window = ReportFilters(start=date(2026, 3, 1), end=date(2026, 3, 31))
    assert rows.filter(window.day_filter())["day"].to_list() == [date(2026, 3, 1),
                                                                 date(2026, 3, 31)]
    assert rows.filter(ReportFilters().day_filter()).height == 4
    campaigns = pl.DataFrame({"campaign_id": ["a", "b", "c"],
                              "campaign_type": ["news", None, "promo"]})
    assert ReportFilters().campaign_ids(campaigns) == ["a", "b", "c"]
    assert ReportFilters(campaign_types=("promo",)).campaign_ids(campaigns) == ["c"]


def test_memo_computes_once_per_key_and_evicts_oldest() -> None:
    memo, calls = Memo(max_entries=2), []

    def compute(value: int):
        return lambda: calls.append(value) or value

    assert [memo.get("a", compute(1)), memo.get("a", compute(9)), memo.get("b", compute(2))] \
        == [1, 1, 2]
    memo.get("c", compute(3))
    assert memo.get("a", compute(4)) == 4
    assert calls == [1, 2, 3, 4]
