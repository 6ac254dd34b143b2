"""analyzeExperiment and planExperiment: the engine on pasted numbers, checked against
scipy and statsmodels to 1e-6, with exact JSON contracts and typed input errors."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import pytest
from scipy import stats
from sqlalchemy import Engine
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower, tt_ind_solve_power
from statsmodels.stats.proportion import proportion_effectsize, proportions_ztest

from server.db.engine import engine_for
from tests.schema.conftest import INGEST, data_of, messages_of, run

TOL = 1e-6
ANALYZE = """
query($input: AnalyzeExperimentInput!) { analyzeExperiment(input: $input) {
  __typename
  ... on InvalidInput { field message }
  ... on AnalyzedExperiment {
    stoppedAt stoppingRule
    looks { look status stop variants { name n } effects { variant difference pValue
      significant differenceInterval { low high } } }
    analysis {
      metric metricType method alpha correction control
      variants { name n conversions sum sumSquares value }
      srm { observed expected pValue mismatch }
      chiSquare { statistic degreesOfFreedom pValue }
      primary { intervalLevel effects { variant controlValue variantValue difference
        differenceInterval { low high } relativeLift liftInterval { low high } pValue
        probabilityBetter significant } }
      guardrails { metric effects { variant pValue significant } }
      sequential { tau intervalLevel stoppedAt looks { look day stop effects { variant
        difference interval { low high } pValue adjustedPValue } } }
      bayesian { name posteriorAlpha posteriorBeta mean probabilityBest expectedLoss
        probabilityBeatsControl exactProbabilityBeatsControl }
      peeking { looks naiveFalsePositiveRate firstNaiveRejection message }
      verdict { status winner recommendation }
    } } } }
"""
PLAN = """
query($input: PlanExperimentInput!) { planExperiment(input: $input) {
  __typename
  ... on InvalidInput { field message }
  ... on ExperimentPlan { metricType baseline target absoluteEffect effectSize alpha
    alphaPerComparison power variants perVariant total dailyVolume days currentPower } } }
"""


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    # The engine only runs numbers here; one database is enough.
    engine = engine_for(sqlite_url)
    yield engine
    engine.dispose()


def rates(*arms: tuple[str, int, int]) -> list[dict[str, Any]]:
    return [{"name": name, "n": n, "conversions": c} for name, n, c in arms]


def close(value: float) -> Any:
    return pytest.approx(value, abs=TOL)


async def analyze(engine: Engine, **input: Any) -> dict[str, Any]:
    data = await data_of(engine, ANALYZE, {"input": input})
    # Infinity and NaN would make this raise: JSON has neither.
    json.dumps(data, allow_nan=False)
    return data["analyzeExperiment"]


async def test_fixed_ab_test_matches_statsmodels(engine: Engine) -> None:
    result = await analyze(engine, variants=rates(("A", 10_000, 500), ("B", 10_000, 560)))
    z, p = proportions_ztest([560, 500], [10_000, 10_000])
    chi = stats.chi2_contingency([[500, 9_500], [560, 9_440]], correction=False)
    se = math.sqrt(0.05 * 0.95 / 10_000 + 0.056 * 0.944 / 10_000)
    half = stats.norm.isf(0.025) * se
    lift_se = math.sqrt(0.056 * 0.944 / 10_000 + (0.056 / 0.05) ** 2 * 0.05 * 0.95 / 10_000) / 0.05
    analysis = result["analysis"]
    assert result["looks"] == [{"look": 0, "status": "KEEP_RUNNING", "stop": False,
                                "variants": [{"name": "A", "n": 10_000},
                                             {"name": "B", "n": 10_000}],
                                "effects": [{"variant": "B", "difference": close(0.006),
                                             "pValue": close(p), "significant": False,
                                             "differenceInterval": {
                                                 "low": close(0.006 - half),
                                                 "high": close(0.006 + half)}}]}]
    assert (result["stoppedAt"], result["stoppingRule"][:13]) == (None, "Fixed horizon")
    assert analysis["chiSquare"] == {"statistic": close(chi.statistic), "degreesOfFreedom": 1,
                                     "pValue": close(chi.pvalue)}
    assert analysis["primary"] == {"intervalLevel": 0.95, "effects": [{
        "variant": "B", "controlValue": 0.05, "variantValue": 0.056,
        "difference": close(0.006),
        "differenceInterval": {"low": close(0.006 - half), "high": close(0.006 + half)},
        "relativeLift": close(0.12),
        "liftInterval": {"low": close(0.12 - 1.959963984540054 * lift_se),
                         "high": close(0.12 + 1.959963984540054 * lift_se)},
        "pValue": close(p), "probabilityBetter": None, "significant": False}]}
    assert z == pytest.approx(1.8937529756356748)
    assert analysis["srm"] == {"observed": [10_000, 10_000], "expected": [10_000.0, 10_000.0],
                               "pValue": 1.0, "mismatch": False}
    assert analysis["variants"][1] == {"name": "B", "n": 10_000, "conversions": 560,
                                       "sum": None, "sumSquares": None, "value": 0.056}
    assert analysis["verdict"]["status"] == "KEEP_RUNNING"
    assert (analysis["sequential"], analysis["bayesian"], analysis["peeking"]) == (None,) * 3


async def test_abn_holm_matches_multipletests(engine: Engine) -> None:
    arms = (("A", 8_000, 400), ("B", 8_000, 470), ("C", 8_000, 455), ("D", 8_000, 390))
    for correction, method in (("HOLM", "holm"), ("BH", "fdr_bh")):
        result = await analyze(engine, variants=rates(*arms), correction=correction)
        raw = [proportions_ztest([c, 400], [8_000, 8_000])[1] for _, _, c in arms[1:]]
        rejected, adjusted, _, _ = multipletests(raw, alpha=0.05, method=method)
        effects = result["analysis"]["primary"]["effects"]
        assert [e["pValue"] for e in effects] == [close(p) for p in adjusted]
        assert [e["significant"] for e in effects] == list(rejected)
    chi = stats.chi2_contingency([[c, n - c] for _, n, c in arms], correction=False)
    assert result["analysis"]["chiSquare"]["pValue"] == close(chi.pvalue)
    assert result["analysis"]["chiSquare"]["degreesOfFreedom"] == 3


async def test_welch_on_means_matches_scipy(engine: Engine) -> None:
    a = [0.0] * 180 + [12.5, 40.0, 25.0, 80.0, 19.99] * 4
    b = [0.0] * 170 + [15.0, 42.0, 30.0, 99.0, 22.5, 8.0] * 5
    variants = [{"name": name, "n": len(xs), "sum": sum(xs), "sumSquares": sum(x * x for x in xs)}
                for name, xs in (("A", a), ("B", b))]
    result = await analyze(engine, variants=variants, metricType="MEAN")
    t = stats.ttest_ind(b, a, equal_var=False)
    effect = result["analysis"]["primary"]["effects"][0]
    assert effect["pValue"] == close(t.pvalue)
    assert effect["difference"] == close(sum(b) / len(b) - sum(a) / len(a))
    interval = t.confidence_interval(0.95)
    assert effect["differenceInterval"] == {"low": close(interval.low),
                                            "high": close(interval.high)}
    assert result["analysis"]["metricType"] == "MEAN"
    assert result["analysis"]["variants"][0]["value"] == close(sum(a) / len(a))


async def test_sequential_looks_and_the_first_stop(engine: Engine) -> None:
    # No conversions at the first look: no variance, so the interval is unbounded (null,
    # never Infinity) and the p-value is 1.
    looks = [rates(("A", 500, 0), ("B", 500, 0)),
             rates(("A", 5_000, 250), ("B", 5_000, 290)),
             rates(("A", 10_000, 500), ("B", 10_000, 660)),
             rates(("A", 15_000, 750), ("B", 15_000, 990))]
    result = await analyze(engine, variants=looks[-1], looks=looks, method="SEQUENTIAL")
    sequential = result["analysis"]["sequential"]
    assert sequential["looks"][0]["effects"][0] == {
        "variant": "B", "difference": 0.0, "interval": {"low": None, "high": None},
        "pValue": 1.0, "adjustedPValue": 1.0}
    stops = [look["stop"] for look in sequential["looks"]]
    assert stops == [False, False, True, True]
    assert sequential["stoppedAt"] == result["stoppedAt"] == 2
    assert [look["stop"] for look in result["looks"]] == stops
    assert [look["status"] for look in result["looks"]] == [
        "KEEP_RUNNING", "KEEP_RUNNING", "WINNER", "WINNER"]
    assert result["analysis"]["verdict"]["winner"] == "B"
    peeking = result["analysis"]["peeking"]
    assert (peeking["looks"], peeking["firstNaiveRejection"]) == (4, 2)
    assert peeking["naiveFalsePositiveRate"] > 0.05
    assert result["stoppingRule"].startswith("Mixture SPRT")


async def test_bayesian_is_deterministic_and_exact(engine: Engine) -> None:
    input = {"variants": rates(("A", 1_000, 50), ("B", 1_000, 70)), "method": "BAYESIAN"}
    first = await analyze(engine, **input, seed=7)
    second = await analyze(engine, **input, seed=7)
    assert first == second
    arms = first["analysis"]["bayesian"]
    assert [(a["name"], a["posteriorAlpha"], a["posteriorBeta"]) for a in arms] == [
        ("A", 51.0, 951.0), ("B", 71.0, 931.0)]
    # P(B > A) by numerical integration of the two Beta posteriors.
    grid = [i / 20_000 for i in range(1, 20_000)]
    exact = sum(stats.beta.pdf(x, 71, 931) * stats.beta.cdf(x, 51, 951) for x in grid) / 20_000
    assert arms[1]["exactProbabilityBeatsControl"] == pytest.approx(exact, abs=1e-4)
    assert arms[1]["probabilityBeatsControl"] == pytest.approx(exact, abs=0.01)
    assert first["analysis"]["primary"]["effects"][0]["pValue"] is None


@pytest.mark.parametrize(("input", "field", "message"), [
    ({"variants": [{"name": "A", "n": 10, "conversions": 1}, {"name": "B", "n": 10}]},
     "variants[1].conversions",
     "variants[1].conversions is missing for variant 'B': metricType PROPORTION needs "
     "conversions"),
    ({"variants": rates(("A", 10, 11), ("B", 10, 1))}, "variants[0].conversions",
     "variants[0].conversions=11 exceeds n=10 for variant 'A': conversions must be between 0 "
     "and n"),
    ({"metricType": "MEAN", "variants": [{"name": "A", "n": 10, "sum": 10, "sumSquares": 1},
                                         {"name": "B", "n": 10, "sum": 5, "sumSquares": 9}]},
     "variants[0].sumSquares",
     "variants[0].sumSquares=1.0 is below sum²/n=10.0 for variant 'A': sumSquares must be "
     "the sum of each recipient's value squared"),
    ({"variants": rates(("A", 10, 1), ("B", 10, 1)), "alpha": 1.5}, "alpha",
     "alpha=1.5 is not a probability: use a number between 0 and 1, such as 0.05"),
    ({"variants": rates(("A", 10, 1), ("B", 10, 1)), "weights": [1.0]}, "weights",
     "weights has 1 entries but there are 2 variants: give one planned weight per variant"),
    ({"variants": rates(("A", 10, 1), ("B", 10, 1)), "control": "C"}, "control",
     "control='C' is not a variant: use one of 'A', 'B'"),
    ({"variants": rates(("A", 10, 1), ("B", 10, 2)),
      "looks": [rates(("A", 10, 1), ("B", 10, 1))]}, "looks[-1]",
     "looks[-1] differs from variants: the last look must be the current totals, identical "
     "to variants"),
    ({"variants": rates(("A", 10, 1), ("B", 10, 1)), "looks": [rates(("A", 10, 1),
                                                                     ("B", 10, 1))] * 101},
     "looks", "looks has 101 looks: give at most 100 (e.g. one a day)"),
    ({"variants": rates(("A", 10, 1), ("B", 10, 1)), "metricType": "RATIO"}, "metricType",
     "metricType=RATIO is not supported here: ratio metrics need per-recipient cross sums; "
     "use PROPORTION or MEAN"),
])
async def test_invalid_input_names_the_field(engine: Engine, input: dict[str, Any], field: str,
                                             message: str) -> None:
    result = await analyze(engine, **input)
    assert result == {"__typename": "InvalidInput", "field": field, "message": message}


async def test_srm_and_guardrails_from_pasted_numbers(engine: Engine) -> None:
    result = await analyze(
        engine, variants=rates(("A", 10_000, 500), ("B", 10_600, 700)),
        guardrails=[{"name": "unsubscribe rate",
                     "variants": rates(("A", 10_000, 20), ("B", 10_600, 60))}])
    analysis = result["analysis"]
    assert analysis["srm"]["pValue"] == close(stats.chisquare([10_000, 10_600]).pvalue)
    assert analysis["srm"]["mismatch"] is True
    assert analysis["verdict"]["status"] == "SRM_INVALID"
    harm = analysis["guardrails"][0]
    assert harm["metric"] == "unsubscribe rate"
    assert harm["effects"][0]["significant"] is True
    balanced = await analyze(
        engine, variants=rates(("A", 10_000, 500), ("B", 10_000, 700)),
        guardrails=[{"name": "unsubscribe rate",
                     "variants": rates(("A", 10_000, 20), ("B", 10_000, 60))}])
    assert balanced["analysis"]["verdict"]["status"] == "GUARDRAIL_VIOLATED"


async def test_analyze_needs_a_viewer(engine: Engine) -> None:
    result = await run(engine, ANALYZE, {"input": {"variants": rates(("A", 1, 0),
                                                                     ("B", 1, 0))}},
                       user=INGEST)
    assert messages_of(result)[0].startswith("'analyzeExperiment' needs the viewer role")


async def test_plan_rates_matches_statsmodels(engine: Engine) -> None:
    data = await data_of(engine, PLAN, {"input": {
        "baseline": 0.05, "minimumEffect": 0.1, "dailyVolume": 10_000,
        "currentControlN": 20_000, "currentVariantN": 20_000}})
    effect = proportion_effectsize(0.055, 0.05)
    exact = NormalIndPower().solve_power(effect, alpha=0.05, power=0.8, ratio=1)
    per_variant = math.ceil(exact)
    assert data["planExperiment"] == {
        "__typename": "ExperimentPlan", "metricType": "PROPORTION", "baseline": 0.05,
        "target": close(0.055), "absoluteEffect": close(0.005), "effectSize": close(effect),
        "alpha": 0.05, "alphaPerComparison": 0.05, "power": 0.8, "variants": 2,
        "perVariant": per_variant, "total": 2 * per_variant, "dailyVolume": 10_000,
        "days": math.ceil(2 * per_variant / 10_000),
        "currentPower": close(NormalIndPower().power(effect, 20_000, 0.05, ratio=1))}
    assert per_variant == 31_218


async def test_plan_abn_and_means(engine: Engine) -> None:
    abn = (await data_of(engine, PLAN, {"input": {"baseline": 0.2, "minimumEffect": 0.02,
                                                  "relative": False, "variants": 4}}))
    plan = abn["planExperiment"]
    exact = NormalIndPower().solve_power(proportion_effectsize(0.22, 0.2), alpha=0.05 / 3,
                                         power=0.8, ratio=1)
    assert (plan["perVariant"], plan["total"], plan["days"]) == (math.ceil(exact),
                                                                 4 * math.ceil(exact), None)
    assert plan["alphaPerComparison"] == close(0.05 / 3)
    means = (await data_of(engine, PLAN, {"input": {
        "metricType": "MEAN", "baseline": 2.0, "standardDeviation": 15.0,
        "minimumEffect": 0.1, "currentControlN": 50_000, "currentVariantN": 50_000}}))
    plan = means["planExperiment"]
    exact = tt_ind_solve_power(effect_size=0.2 / 15, alpha=0.05, power=0.8, ratio=1)
    assert plan["perVariant"] == math.ceil(exact)
    assert plan["effectSize"] == close(0.2 / 15)
    assert plan["currentPower"] == close(tt_ind_solve_power(effect_size=0.2 / 15, nobs1=50_000,
                                                            alpha=0.05, ratio=1))


@pytest.mark.parametrize(("input", "field", "message"), [
    ({"baseline": 0.0, "minimumEffect": 0.1}, "baseline",
     "baseline=0.0 is out of range: use a rate strictly between 0 and 1, such as 0.05"),
    ({"baseline": 0.05, "minimumEffect": 0.1, "power": 1.0}, "power",
     "power=1.0 is out of range: use a probability above alpha per comparison (0.05) and "
     "below 1, such as 0.8"),
    ({"baseline": 0.05, "minimumEffect": 0.1, "dailyVolume": 0}, "dailyVolume",
     "dailyVolume=0 is out of range: give the expected sends per day, at least 1"),
    ({"metricType": "MEAN", "baseline": 2.0, "minimumEffect": 0.1}, "standardDeviation",
     "standardDeviation is missing: MEAN plans need the standard deviation of one "
     "recipient's value"),
    ({"baseline": 0.05, "minimumEffect": 0.1, "currentControlN": 10}, "currentVariantN",
     "currentVariantN and currentControlN go together: give both recipient counts of the "
     "running test, or neither"),
    ({"baseline": 0.05, "minimumEffect": 1e-7}, "minimumEffect",
     "minimumEffect=1e-07 needs 29,825,671,296,385,508 recipients per variant, more than "
     "any send: choose a larger minimum effect"),
])
async def test_plan_names_the_field(engine: Engine, input: dict[str, Any], field: str,
                                    message: str) -> None:
    data = await data_of(engine, PLAN, {"input": input})
    assert data == {"planExperiment": {"__typename": "InvalidInput", "field": field,
                                       "message": message}}
