"""experiment(campaignId) on the literal world of ``tests/worlds/experiments.py`` (loaded
through ingestion), on both databases."""

from __future__ import annotations

import math

import pytest
from scipy import stats
from sqlalchemy import Engine
from statsmodels.stats.proportion import proportions_ztest

from analytics.experiments import sequential_test
from tests.schema.conftest import data_of
from tests.schema.experiments.support import EXPERIMENT, Z975
from tests.worlds.experiments import load_experiment_world


@pytest.fixture
def world(db: Engine) -> Engine:
    return load_experiment_world(db)


def approx(value: float) -> object:
    return pytest.approx(value, rel=1e-9, abs=1e-12)


def _welch_p(a: list[float], b: list[float]) -> float:
    return float(stats.ttest_ind(b, a, equal_var=False).pvalue)


async def test_campaign_experiment_contract(world: Engine) -> None:
    data = (await data_of(world, EXPERIMENT, {"id": "ab"}))["experiment"]
    z, p = proportions_ztest([3, 1], [4, 5])
    chi = stats.chi2_contingency([[1, 4], [3, 1]], correction=False)
    se = math.sqrt(0.2 * 0.8 / 5 + 0.75 * 0.25 / 4)
    analysis = data.pop("analysis")
    metrics = data.pop("metrics")
    monitor = data.pop("monitor")
    assert data == {
        "campaignId": "ab", "campaignName": "Spring Sale",
        "startedAt": "2026-03-01T09:00:00+00:00", "horizonReached": True, "problem": None,
        "experiment": None,
        "settings": {"primaryMetric": "CLICK_RATE", "method": "FIXED", "alpha": 0.05,
                     "correction": "HOLM", "minimumEffect": 0.0, "effectScale": "RELATIVE",
                     "guardrails": ["UNSUBSCRIBE_RATE", "COMPLAINT_RATE"],
                     "plannedWeights": [{"variant": "A", "weight": 0.5},
                                        {"variant": "B", "weight": 0.5}],
                     "control": None, "horizonDays": 7, "webhookUrl": None,
                     "webhookHost": None, "saved": False},
        "variants": [
            {"name": "A", "subjectLine": "Spring is here", "plannedWeight": 0.5, "sent": 5,
             "delivered": 5, "opens": 2, "clicks": 1, "conversions": 1, "unsubscribes": 1,
             "complaints": 0, "revenue": 40.0},
            {"name": "B", "subjectLine": "Spring sale: 20% off", "plannedWeight": 0.5,
             "sent": 5, "delivered": 4, "opens": 3, "clicks": 3, "conversions": 2,
             "unsubscribes": 0, "complaints": 1, "revenue": 95.0},
        ],
    }
    assert analysis == {
        "metric": "click rate", "metricType": "PROPORTION", "method": "FIXED", "alpha": 0.05,
        "correction": "HOLM", "control": "A",
        "variants": [{"name": "A", "n": 5, "conversions": 1, "value": 0.2},
                     {"name": "B", "n": 4, "conversions": 3, "value": 0.75}],
        "srm": {"variants": ["A", "B"], "observed": [5, 4], "expected": [4.5, 4.5],
                "plannedShares": [0.5, 0.5], "degreesOfFreedom": 1,
                "pValue": approx(stats.chisquare([5, 4]).pvalue), "threshold": 0.001,
                "mismatch": False},
        "chiSquare": {"statistic": approx(chi.statistic), "degreesOfFreedom": 1,
                      "pValue": approx(chi.pvalue)},
        "primary": {"metric": "click rate", "metricType": "PROPORTION", "method": "FIXED",
                    "control": "A", "higherIsBetter": True, "intervalLevel": 0.95,
                    "effects": [{
                        "variant": "B", "controlValue": 0.2, "variantValue": 0.75,
                        "difference": approx(0.55),
                        "differenceInterval": {"low": approx(0.55 - Z975 * se),
                                               "high": approx(0.55 + Z975 * se)},
                        "relativeLift": approx(2.75), "pValue": approx(p),
                        "probabilityBetter": None, "significant": False}]},
        "guardrails": [
            {"metric": "unsubscribe rate", "effects": [{
                "variant": "B", "difference": -0.2,
                "pValue": approx(proportions_ztest([0, 1], [4, 5])[1]), "significant": False}]},
            {"metric": "complaint rate", "effects": [{
                "variant": "B", "difference": 0.25,
                "pValue": approx(proportions_ztest([1, 0], [4, 5])[1]), "significant": False}]},
        ],
        "sequential": None, "bayesian": None, "peeking": {"looks": 4,
                                                         "firstNaiveRejection": None},
        "verdict": {"status": "NO_DIFFERENCE", "winner": None},
    }
    assert z > 0
    assert [(m["metric"], m["metricType"]) for m in metrics] == [
        ("open rate", "PROPORTION"), ("click rate", "PROPORTION"),
        ("conversion rate", "PROPORTION"), ("revenue per recipient", "MEAN"),
        ("click-to-open rate", "RATIO"), ("unsubscribe rate", "PROPORTION"),
        ("complaint rate", "PROPORTION")]
    revenue = metrics[3]["effects"][0]
    assert revenue["difference"] == approx(95 / 4 - 40 / 5)
    assert revenue["pValue"] == approx(_welch_p([40, 0, 0, 0, 0], [35, 0, 60, 0]))
    # Click-to-open by the delta method: 3/3 opens clicked in B vs 1/2 in A.
    ctor = metrics[4]["effects"][0]
    assert (ctor["difference"], ctor["pValue"]) == (approx(0.5), approx(0.2059032107320682))
    expected = sequential_test([
        [{"name": "A", "n": 5, "conversions": 1}, {"name": "B", "n": 3, "conversions": 1}],
        [{"name": "A", "n": 5, "conversions": 1}, {"name": "B", "n": 4, "conversions": 2}],
        [{"name": "A", "n": 5, "conversions": 1}, {"name": "B", "n": 4, "conversions": 3}],
        [{"name": "A", "n": 5, "conversions": 1}, {"name": "B", "n": 4, "conversions": 3}],
    ])
    assert monitor["tau"] == 0.03 and monitor["intervalLevel"] == 0.95
    assert monitor["stoppedAt"] is None
    assert [(look["day"], look["stop"]) for look in monitor["looks"]] == [
        (0, False), (1, False), (2, False), (3, False)]
    for look, engine_look in zip(monitor["looks"], expected.looks, strict=True):
        effect, comparison = look["effects"][0], engine_look.comparisons[0]
        assert effect == {"variant": "B", "nControl": 5, "nVariant": comparison.n_variant,
                          "difference": approx(comparison.difference),
                          "interval": {"low": approx(comparison.interval.low),
                                       "high": approx(comparison.interval.high)},
                          "pValue": approx(comparison.p_value),
                          "adjustedPValue": approx(comparison.adjusted_p_value)}


async def test_srm_and_problems(world: Engine) -> None:
    srm = (await data_of(world, EXPERIMENT, {"id": "srm"}))["experiment"]["analysis"]
    assert srm["srm"] == {
        "variants": ["A", "B"], "observed": [4, 4], "expected": [approx(7.6), approx(0.4)],
        "plannedShares": [0.95, 0.05], "degreesOfFreedom": 1,
        "pValue": approx(stats.chisquare([4, 4], [7.6, 0.4]).pvalue), "threshold": 0.001,
        "mismatch": True}
    assert srm["verdict"] == {"status": "SRM_INVALID", "winner": None}
    solo = (await data_of(world, EXPERIMENT, {"id": "solo"}))["experiment"]
    assert (solo["analysis"], solo["metrics"], solo["monitor"]) == (None, [], None)
    assert solo["problem"] == ("This campaign is not an A/B test: it needs at least two "
                               "variants. Import its variants (campaign_variant) and sends "
                               "that name them.")
    assert await data_of(world, EXPERIMENT, {"id": "nope"}) == {"experiment": None}
