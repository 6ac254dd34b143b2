from __future__ import annotations

import math
import warnings

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from scipy import stats

from analytics.metrics import METRIC_NAMES, campaign_statistics
from tests.analytics.metrics.support import counters

RATES = pl.DataFrame(
    {
        "campaign_id": ["c1", "c2", "c3", "c4", "c5"],
        "open_rate": [0.10, 0.20, 0.30, 0.40, None],
        "click_rate": [0.01, 0.03, 0.02, 0.05, 0.04],
        "bounce_rate": [0.02, 0.02, 0.02, 0.02, 0.02],
    }
)
METRICS = ["open_rate", "click_rate", "bounce_rate"]


def scipy_pearson(x: list, y: list) -> tuple[int, float | None, float | None]:
    pairs = [(a, b) for a, b in zip(x, y, strict=True) if a is not None and b is not None]
    if len(pairs) < 3:
        return len(pairs), None, None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            result = stats.pearsonr([a for a, _ in pairs], [b for _, b in pairs])
        except (stats.ConstantInputWarning, stats.NearConstantInputWarning):
            return len(pairs), None, None
    return len(pairs), float(result.statistic), float(result.pvalue)


def test_summary_golden() -> None:
    summary = campaign_statistics(RATES, METRICS).summary
    assert_frame_equal(
        summary,
        pl.DataFrame(
            {
                "metric": METRICS,
                "count": [4, 5, 5],
                "mean": [0.25, 0.03, 0.02],
                "std": [math.sqrt(0.05 / 3), math.sqrt(0.00025), 0.0],
                "min": [0.10, 0.01, 0.02],
                "q25": [0.175, 0.02, 0.02],
                "median": [0.25, 0.03, 0.02],
                "q75": [0.325, 0.04, 0.02],
                "max": [0.40, 0.05, 0.02],
            },
            schema_overrides={"count": pl.Int64},
        ),
        abs_tol=1e-12,
    )


def test_summary_matches_numpy() -> None:
    summary = campaign_statistics(RATES, ["open_rate"]).summary.row(0, named=True)
    values = np.array([0.10, 0.20, 0.30, 0.40])
    assert summary["std"] == pytest.approx(np.std(values, ddof=1), abs=1e-12)
    assert summary["q25"] == pytest.approx(np.percentile(values, 25), abs=1e-12)
    assert summary["q75"] == pytest.approx(np.percentile(values, 75), abs=1e-12)


def test_correlations_match_scipy_with_pairwise_nulls() -> None:
    correlations = campaign_statistics(RATES, METRICS).correlations
    assert correlations.height == 9
    for x, y, n, r, p in correlations.iter_rows():
        want_n, want_r, want_p = scipy_pearson(RATES[x].to_list(), RATES[y].to_list())
        assert n == want_n
        assert r == pytest.approx(want_r, abs=1e-9)
        assert p == pytest.approx(want_p, abs=1e-9)
    open_click = correlations.filter(x="open_rate", y="click_rate").row(0, named=True)
    assert open_click["n"] == 4 and open_click["r"] is not None
    assert correlations.filter(x="bounce_rate")["r"].to_list() == [None, None, None]


def test_correlation_matrix() -> None:
    matrix = campaign_statistics(RATES, ["open_rate", "click_rate"]).matrix()
    assert matrix.columns == ["metric", "open_rate", "click_rate"]
    assert matrix["metric"].to_list() == ["open_rate", "click_rate"]
    assert matrix["open_rate"][0] == pytest.approx(1.0)
    assert matrix["click_rate"][0] == matrix["open_rate"][1]
    assert campaign_statistics(RATES, ["open_rate"]).matrix("n")["open_rate"].to_list() == [4]


def test_fewer_than_three_campaigns_give_null_correlations() -> None:
    result = campaign_statistics(RATES.head(2), ["open_rate", "click_rate"])
    assert result.correlations["r"].to_list() == [None] * 4
    assert result.correlations["p_value"].to_list() == [None] * 4
    assert result.correlations["n"].to_list() == [2] * 4


def test_counters_are_turned_into_rates_for_all_metrics() -> None:
    frame = counters(sent=[10, 20, 30], delivered=[9, 18, 30], unique_opens=[1, 5, 3])
    result = campaign_statistics(frame)
    assert result.summary["metric"].to_list() == list(METRIC_NAMES)
    assert result.correlations.height == len(METRIC_NAMES) ** 2


def test_unknown_metric() -> None:
    with pytest.raises(ValueError, match="unknown metric 'opens'"):
        campaign_statistics(RATES, ["opens"])


@settings(database=None, max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(0, 100)),
            st.one_of(st.none(), st.integers(0, 100)),
        ),
        min_size=0,
        max_size=25,
    )
)
def test_correlation_property_matches_scipy(rows: list[tuple[int | None, int | None]]) -> None:
    x = [None if a is None else a / 100 for a, _ in rows]
    y = [None if b is None else b / 100 for _, b in rows]
    frame = pl.DataFrame({"open_rate": x, "click_rate": y}, schema={
        "open_rate": pl.Float64, "click_rate": pl.Float64})
    result = campaign_statistics(frame, ["open_rate", "click_rate"]).correlations
    n, r, p = result.filter(x="open_rate", y="click_rate").select("n", "r", "p_value").row(0)
    want_n, want_r, want_p = scipy_pearson(x, y)
    assert n == want_n
    if want_r is None:
        assert r is None and p is None
    else:
        assert r == pytest.approx(want_r, abs=1e-9)
        assert p == pytest.approx(want_p, abs=1e-9)
        assert -1 <= r <= 1 and 0 <= p <= 1
