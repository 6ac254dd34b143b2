"""experiment(campaignId), createExperiment and declareWinner on the literal world of
``tests/server/db/experiment_world.py`` (loaded through ingestion), on both databases."""

from __future__ import annotations

import json
import math

import pytest
from scipy import stats
from sqlalchemy import Engine
from sqlmodel import Session, select
from statsmodels.stats.proportion import proportions_ztest

from analytics.experiments import sequential_test
from server.db.models import Experiment, JobRun
from tests.schema.conftest import ADMIN, ANALYST, INGEST, VIEWER, data_of, messages_of, run
from tests.server.db.experiment_world import load_experiment_world

Z975 = stats.norm.isf(0.025)

EXPERIMENT = """
query($id: ID!) { experiment(campaignId: $id) {
  campaignId campaignName startedAt horizonReached problem
  experiment { status winner forced }
  settings { primaryMetric method alpha correction minimumEffect effectScale guardrails
             plannedWeights { variant weight } control horizonDays webhookUrl webhookHost saved }
  variants { name subjectLine plannedWeight sent delivered opens clicks conversions
             unsubscribes complaints revenue }
  analysis {
    metric metricType method alpha correction control
    variants { name n conversions value }
    srm { variants observed expected plannedShares degreesOfFreedom pValue threshold mismatch }
    chiSquare { statistic degreesOfFreedom pValue }
    primary { metric metricType method control higherIsBetter intervalLevel effects {
      variant controlValue variantValue difference differenceInterval { low high }
      relativeLift pValue probabilityBetter significant } }
    guardrails { metric effects { variant difference pValue significant } }
    sequential { stoppedAt } bayesian { name }
    peeking { looks firstNaiveRejection }
    verdict { status winner }
  }
  metrics { metric metricType effects { variant difference differenceInterval { low high }
    pValue significant } }
  monitor { tau intervalLevel stoppedAt looks { look day stop effects {
    variant nControl nVariant difference interval { low high } pValue adjustedPValue } } }
} }
"""
CREATE = """
mutation($input: CreateExperimentInput!) { createExperiment(input: $input) {
  __typename
  ... on Experiment { campaignId status winner }
  ... on InvalidInput { field message }
  ... on NotFound { id message } } }
"""
DECLARE = """
mutation($id: ID!, $variant: String!, $force: Boolean! = false, $reason: String) {
  declareWinner(campaignId: $id, variant: $variant, force: $force, reason: $reason) {
    __typename
    ... on WinnerDeclared { experiment { campaignId status winner winnerLift
      winnerLiftInterval { low high } forced decisionReason declaredBy }
      webhookJob { actor state } webhookProblem }
    ... on WinnerRefused { message srmMismatch verdict { status winner } }
    ... on InvalidInput { field message }
    ... on NotFound { message } } }
"""


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


async def test_reads_need_viewer_and_writes_analyst(world: Engine) -> None:
    result = await run(world, EXPERIMENT, {"id": "ab"}, user=INGEST)
    assert result.data == {"experiment": None}
    assert messages_of(result)[0].startswith("'experiment' needs the viewer role")
    result = await run(world, CREATE, {"input": {"campaignId": "ab"}}, user=VIEWER)
    assert messages_of(result) == [
        "'createExperiment' needs the analyst role (or admin); the key 'viewer key' has the "
        "viewer role. Ask an admin for a key with the analyst role."]
    result = await run(world, DECLARE, {"id": "win", "variant": "B"}, user=VIEWER)
    assert messages_of(result)[0].startswith("'declareWinner' needs the analyst role")
    with Session(world) as session:
        assert session.exec(select(Experiment)).all() == []


async def test_create_experiment_saves_settings(world: Engine) -> None:
    variables = {"input": {
        "campaignId": "ab", "primaryMetric": "OPEN_RATE", "method": "SEQUENTIAL",
        "alpha": 0.1, "correction": "BH", "minimumEffect": 0.02, "guardrails": ["COMPLAINT_RATE"],
        "plannedWeights": [{"variant": "A", "weight": 1}, {"variant": "B", "weight": 3}],
        "control": "B", "horizonDays": 14, "webhookUrl": "https://hooks.example.com/x?t=s3cret"}}
    data = await data_of(world, CREATE, variables, user=ANALYST)
    assert data == {"createExperiment": {"__typename": "Experiment", "campaignId": "ab",
                                         "status": "RUNNING", "winner": None}}
    settings = """query { experiment(campaignId: "ab") { settings { primaryMetric method alpha
      correction minimumEffect guardrails plannedWeights { variant weight } control
      horizonDays webhookUrl webhookHost saved } analysis { control method srm { expected } } } }"""
    as_analyst = (await data_of(world, settings, user=ANALYST))["experiment"]
    assert as_analyst["settings"] == {
        "primaryMetric": "OPEN_RATE", "method": "SEQUENTIAL", "alpha": 0.1,
        "correction": "BH", "minimumEffect": 0.02, "guardrails": ["COMPLAINT_RATE"],
        "plannedWeights": [{"variant": "A", "weight": 1.0}, {"variant": "B", "weight": 3.0}],
        "control": "B", "horizonDays": 14,
        "webhookUrl": "https://hooks.example.com/x?t=s3cret",
        "webhookHost": "hooks.example.com", "saved": True}
    assert as_analyst["analysis"] == {"control": "B", "method": "SEQUENTIAL",
                                      "srm": {"expected": [2.25, 6.75]}}
    # The URL may carry a secret: viewers see only where it goes.
    as_viewer = (await data_of(world, settings, user=VIEWER))["experiment"]["settings"]
    assert (as_viewer["webhookUrl"], as_viewer["webhookHost"]) == (None, "hooks.example.com")
    again = await data_of(world, CREATE, {"input": {"campaignId": "ab"}}, user=ADMIN)
    assert again["createExperiment"]["__typename"] == "Experiment"
    with Session(world) as session:
        rows = session.exec(select(Experiment)).all()
        assert [(r.campaign_id, r.primary_metric, r.webhook_url) for r in rows] == [
            ("ab", "click_rate", None)]


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"primaryMetric": "UNSUBSCRIBE_RATE"}, "primaryMetric",
     "primaryMetric UNSUBSCRIBE_RATE cannot decide a test (higher must be better and the "
     "denominator fixed): use one of OPEN_RATE, CLICK_RATE, CONVERSION_RATE, "
     "REVENUE_PER_RECIPIENT"),
    ({"primaryMetric": "REVENUE_PER_RECIPIENT", "method": "BAYESIAN"}, "method",
     "method BAYESIAN supports rates only: use FIXED or SEQUENTIAL for REVENUE_PER_RECIPIENT"),
    ({"alpha": 1.5}, "alpha",
     "alpha=1.5 is not a probability: use a number between 0 and 1, such as 0.05"),
    ({"guardrails": ["OPEN_RATE"]}, "guardrails",
     "guardrails: OPEN_RATE is not a rate where higher is worse; use UNSUBSCRIBE_RATE and/or "
     "COMPLAINT_RATE"),
    ({"plannedWeights": [{"variant": "Z", "weight": 1}]}, "plannedWeights[0].variant",
     "plannedWeights[0].variant='Z' is not a variant of the campaign: use one of A, B"),
    ({"plannedWeights": [{"variant": "A", "weight": 0}]}, "plannedWeights[0].weight",
     "plannedWeights[0].weight=0.0 is not a planned share: use a positive number such as 0.5"),
    ({"control": "C"}, "control", "control='C' is not a variant of the campaign: use one of A, B"),
    ({"horizonDays": 0}, "horizonDays",
     "horizonDays=0 is out of range: use 1 to 365 days, or null for no horizon"),
    ({"webhookUrl": "ftp://example.com/x"}, "webhookUrl",
     "webhookUrl is not an http(s) URL: give an address such as https://example.com/hook"),
    ({"webhookUrl": "https://user:pw@example.com/x"}, "webhookUrl",
     "webhookUrl carries credentials in the URL: put them in the receiving service's "
     "configuration, not in the address"),
])
async def test_create_experiment_names_the_field(world: Engine, change: dict[str, object],
                                                 field: str, message: str) -> None:
    data = await data_of(world, CREATE, {"input": {"campaignId": "ab", **change}},
                         user=ANALYST)
    assert data == {"createExperiment": {"__typename": "InvalidInput", "field": field,
                                         "message": message}}
    missing = await data_of(world, CREATE, {"input": {"campaignId": "zz"}}, user=ANALYST)
    assert missing == {"createExperiment": {
        "__typename": "NotFound", "id": "zz",
        "message": "No campaign has id 'zz'; check the id on the campaigns page."}}


async def test_declare_winner_refusals(world: Engine) -> None:
    no_winner = (await data_of(world, DECLARE, {"id": "ab", "variant": "B"},
                               user=ANALYST))["declareWinner"]
    assert no_winner["__typename"] == "WinnerRefused"
    assert no_winner["message"].startswith("'B' is not supported as the winner: the verdict "
                                           "names no winner (Keep the control 'A'")
    assert no_winner["verdict"] == {"status": "NO_DIFFERENCE", "winner": None}
    srm = (await data_of(world, DECLARE, {"id": "srm", "variant": "B"},
                         user=ANALYST))["declareWinner"]
    assert srm == {"__typename": "WinnerRefused", "srmMismatch": True,
                   "verdict": {"status": "SRM_INVALID", "winner": None},
                   "message": "Sample ratio mismatch (p = 5.2e-09): the split is broken, so no "
                              "result can be trusted. Fix assignment or delivery and rerun the "
                              "test, or declare with force and a reason."}
    wrong = (await data_of(world, DECLARE, {"id": "win", "variant": "A"},
                           user=ANALYST))["declareWinner"]
    assert wrong["message"].startswith("'A' is not supported as the winner: the verdict's "
                                       "winner is 'B'")
    unknown = await data_of(world, DECLARE, {"id": "ab", "variant": "Z"}, user=ANALYST)
    assert unknown["declareWinner"] == {
        "__typename": "InvalidInput", "field": "variant",
        "message": "variant='Z' is not a variant of campaign 'ab': use one of A, B"}
    no_reason = await data_of(world, DECLARE, {"id": "srm", "variant": "B", "force": True,
                                               "reason": "  "}, user=ANALYST)
    assert no_reason["declareWinner"]["field"] == "reason"
    solo = (await data_of(world, DECLARE, {"id": "solo", "variant": ""},
                          user=ANALYST))["declareWinner"]
    assert solo["field"] == "variant"
    with Session(world) as session:
        assert session.exec(select(Experiment)).all() == []


async def test_declare_the_verdicts_winner(world: Engine) -> None:
    data = (await data_of(world, DECLARE, {"id": "win", "variant": "B"},
                          user=ANALYST))["declareWinner"]
    # Lift 0.30 / 0.05 − 1 = 5 with the delta-method interval at Holm's level (m = 1).
    se = math.sqrt(0.3 * 0.7 / 100 + 36 * 0.05 * 0.95 / 100) / 0.05
    assert data == {"__typename": "WinnerDeclared", "webhookJob": None, "webhookProblem": None,
                    "experiment": {"campaignId": "win", "status": "DECIDED", "winner": "B",
                                   "winnerLift": approx(5.0),
                                   "winnerLiftInterval": {"low": approx(5 - Z975 * se),
                                                          "high": approx(5 + Z975 * se)},
                                   "forced": False, "decisionReason": None,
                                   "declaredBy": "analyst key"}}
    again = (await data_of(world, DECLARE, {"id": "win", "variant": "B"},
                           user=ANALYST))["declareWinner"]
    assert again["__typename"] == "WinnerRefused"
    assert again["message"].startswith("A winner was already declared: 'B' on ")
    settings = await data_of(world, CREATE, {"input": {"campaignId": "win"}}, user=ANALYST)
    assert settings["createExperiment"]["field"] == "campaignId"


async def test_forced_declaration_queues_the_webhook(world: Engine) -> None:
    await data_of(world, CREATE, {"input": {"campaignId": "srm",
                                            "webhookUrl": "http://127.0.0.1:9/hook"}},
                  user=ANALYST)
    data = (await data_of(world, DECLARE, {"id": "srm", "variant": "B", "force": True,
                                           "reason": "Split bug fixed in the ESP; B won in "
                                                     "the re-send"},
                          user=ADMIN))["declareWinner"]
    assert data["experiment"] == {
        "campaignId": "srm", "status": "DECIDED", "winner": "B", "winnerLift": 0.0,
        "winnerLiftInterval": {"low": approx(-2.4004558381776553),
                               "high": approx(2.4004558381776553)},
        "forced": True, "decisionReason": "Split bug fixed in the ESP; B won in the re-send",
        "declaredBy": "admin key"}
    assert data["webhookJob"] == {"actor": "experiment_webhook", "state": "QUEUED"}
    with Session(world) as session:
        job = session.exec(select(JobRun)).one()
        row = session.exec(select(Experiment)).one()
        assert json.loads(job.args) == {"experiment_id": row.id}
