"""createExperiment and declareWinner (and who may call them) on the literal world of
``tests/worlds/experiments.py`` (loaded through ingestion), on both databases."""

from __future__ import annotations

import json
import math

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from server.db.models import Experiment, JobRun
from tests.schema.conftest import ADMIN, ANALYST, INGEST, VIEWER, data_of, messages_of, run
from tests.schema.experiments.support import EXPERIMENT, Z975
from tests.worlds.experiments import load_experiment_world

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
