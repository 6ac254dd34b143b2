"""The predictions API: registry reads, training and activation, customer scores."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, insert, text
from sqlmodel import Session, select

from analytics.predictions import checksum
from jobs.broker import broker
from server.db.models import Campaign, JobRun
from server.runners import predictions as runner
from server.runners import send_time
from tests.schema.conftest import ANALYST, data_of, messages_of, run
from tests.server.predictions_world import HORIZON_DAYS, seed_store
from tests.server.send_time_world import seed_send_times
from tests.worlds import subject_lines as subject_world

MODEL = """
query Model($id: ID!) {
  model(id: $id) {
    id kind served reason active horizonDays trainRows holdoutRows
    metrics { holdoutCustomers positiveRate model { auc prAuc logLoss brier ece }
              baseline { auc logLoss } }
    calibration { model { lower upper count meanPredicted observedRate } }
    featureImportance { feature share }
  }
}
"""


@pytest.fixture
def store(db: Engine) -> Engine:
    seed_store(db)
    return db


@pytest.fixture
def trained(store: Engine) -> Engine:
    version = runner.train_model(store, runner.TrainParams(kind="churn",
                                                           horizon_days=HORIZON_DAYS))
    scoring = runner.start_scoring(store, version.id or 0, shards=1)
    runner.score_shard(store, scoring.id or 0, 0)
    return store


async def test_model_detail_has_metrics_calibration_and_importance(trained):
    data = await data_of(trained, MODEL, {"id": "1"})

    model = data["model"]
    version = runner.get_version(trained, 1)
    metrics = runner.version_metrics(version)
    assert model["id"] == "1" and model["kind"] == "CHURN" and model["active"] is True
    assert model["served"] == version.served.upper()
    assert model["metrics"]["model"]["auc"] == metrics["model"]["auc"]
    assert model["metrics"]["baseline"]["logLoss"] == metrics["baseline"]["log_loss"]
    assert sum(b["count"] for b in model["calibration"]["model"]) == model["holdoutRows"]
    shares = [row["share"] for row in model["featureImportance"]]
    assert shares == sorted(shares, reverse=True)
    assert sum(shares) == pytest.approx(1.0)


async def test_models_lists_versions_newest_first_and_unknown_ids_are_null(trained):
    runner.train_model(trained, runner.TrainParams(kind="churn", horizon_days=HORIZON_DAYS))

    data = await data_of(trained, "{ models(kind: CHURN) { id active } "
                                  "none: model(id: \"x\") { id } gone: model(id: \"9\") { id } }")

    assert data == {"models": [{"id": "2", "active": False}, {"id": "1", "active": True}],
                    "none": None, "gone": None}


async def test_activate_model_rolls_back_and_needs_analyst(trained):
    runner.train_model(trained, runner.TrainParams(kind="churn", horizon_days=HORIZON_DAYS))
    mutation = """mutation A($id: ID!) { activateModel(id: $id) {
        __typename ... on ModelVersion { id active } ... on Error { message } } }"""

    refused = await run(trained, mutation, {"id": "2"})
    done = await data_of(trained, mutation, {"id": "2"}, user=ANALYST)
    missing = await data_of(trained, mutation, {"id": "7"}, user=ANALYST)

    assert messages_of(refused) == ["'activateModel' needs the analyst role (or admin); the "
                                    "key 'viewer key' has the viewer role. Ask an admin for "
                                    "a key with the analyst role."]
    assert done == {"activateModel": {"__typename": "ModelVersion", "id": "2", "active": True}}
    assert missing == {"activateModel": {"__typename": "NotFound",
                                         "message": "model version 7 does not exist; list "
                                                    "versions with the models query or "
                                                    "`mailscope jobs list`"}}


async def test_train_model_queues_a_job(store):
    broker.flush_all()
    mutation = """mutation { trainModel(kind: CHURN, horizonDays: 30) {
        __typename ... on Job { actor state } ... on Error { message } } }"""
    bad = """mutation { trainModel(kind: CHURN, horizonDays: 0) {
        __typename ... on Error { message } } }"""

    data = await data_of(store, mutation, user=ANALYST)
    refused = await data_of(store, bad, user=ANALYST)

    assert data == {"trainModel": {"__typename": "Job", "actor": "train_model",
                                   "state": "QUEUED"}}
    assert refused == {"trainModel": {
        "__typename": "InvalidModelArguments",
        "message": "horizonDays must be between 1 and 730, got 0; 60 looks two months "
                   "ahead"}}
    with Session(store) as session:
        [row] = session.exec(select(JobRun)).all()
    assert (row.actor, json.loads(row.args)) == (
        "train_model", {"kind": "churn", "horizon_days": 30, "as_of": None})
    broker.flush_all()


async def test_customer_scores_and_explanation(trained):
    query = """{ customer(id: "u0003") { scores { kind modelVersion probability riskLevel }
                 explain(kind: CHURN) { kind served baseValue prediction
                                        contributions { feature value contribution } } } }"""

    customer = (await data_of(trained, query))["customer"]

    [score] = customer["scores"]
    [view] = runner.customer_scores(trained, "u0003")
    assert score == {"kind": "CHURN", "modelVersion": "1", "probability": view.probability,
                     "riskLevel": view.risk_level}
    explanation = customer["explain"]
    assert explanation["kind"] == "CHURN"
    assert explanation["prediction"] == pytest.approx(view.probability)
    assert explanation["contributions"]


async def test_lifetime_value_version_and_scores(trained):
    version = runner.train_model(trained, runner.TrainParams(kind="ltv",
                                                             horizon_days=HORIZON_DAYS))
    scoring = runner.start_scoring(trained, version.id or 0, shards=1)
    runner.score_shard(trained, scoring.id or 0, 0)
    query = """query M($id: ID!) { model(id: $id) { kind metrics { positiveRate }
        lifetimeMetrics { holdoutCustomers model { rmse bias } baseline { rmse bias } bgnbdR } }
      customer(id: "u0003") { scores { kind expectedOrders predictedValue pAlive } } }"""

    data = await data_of(trained, query, {"id": str(version.id)})

    metrics = runner.version_metrics(version)
    lifetime = data["model"]["lifetimeMetrics"]
    assert (data["model"]["kind"], data["model"]["metrics"]) == ("LTV", None)
    assert lifetime["model"]["rmse"] == metrics["model"]["rmse"]
    assert lifetime["baseline"]["bias"] == metrics["baseline"]["bias"]
    assert lifetime["bgnbdR"] == metrics["bgnbd"]["r"]
    views = {v.kind: v for v in runner.customer_scores(trained, "u0003")}
    assert data["customer"]["scores"][1] == {
        "kind": "LTV", "expectedOrders": views["ltv"].expected_orders,
        "predictedValue": views["ltv"].predicted_value, "pAlive": views["ltv"].p_alive}


async def test_open_model_is_listed_by_kind_with_classifier_metrics(store):
    version = runner.train_model(store, runner.TrainParams(kind="open",
                                                           horizon_days=HORIZON_DAYS))

    data = await data_of(store, """{ models(kind: OPEN) { id kind lifetimeMetrics { bgnbdR }
        metrics { holdoutCustomers model { auc } } } }""")

    [model] = data["models"]
    assert (model["id"], model["kind"], model["lifetimeMetrics"]) == (
        str(version.id), "OPEN", None)
    assert model["metrics"]["holdoutCustomers"] == version.holdout_rows


@pytest.fixture
def subject_store(db: Engine) -> Engine:
    seed_send_times(db)
    with db.begin() as connection:
        connection.execute(insert(Campaign), [
            {"campaign_id": "k3", "name": "Spring",
             "send_at": datetime(2026, 1, 8, 13, tzinfo=UTC)}])
        connection.execute(text("UPDATE message SET variant_id = CASE WHEN customer_id = "
                                "'s3' THEN 'B' ELSE 'A' END WHERE campaign_id = 'k3'"))
    return db


async def test_score_subject_lines_for_a_campaign_and_refusals(subject_store):
    query = """query($c: ID, $s: [String!]!) { scoreSubjectLines(campaignId: $c, subjects: $s) {
        __typename
        ... on SubjectLineScores { method modelVersion recipients sendAt
                                   scores { subject rank personalised question urgency } }
        ... on Error { message } } }"""

    data = await data_of(subject_store, query, {"c": "k3", "s": ["Spring is here",
                                                        "{{first_name}}, spring?"]})
    missing = await data_of(subject_store, query, {"c": "zz", "s": ["Hi"]})
    empty = await data_of(subject_store, query, {"c": "k3", "s": []})

    assert data == {"scoreSubjectLines": {
        "__typename": "SubjectLineScores", "method": "FALLBACK", "modelVersion": None,
        "recipients": 3, "sendAt": "2026-01-08T13:00:00+00:00",
        "scores": [{"subject": "Spring is here", "rank": 2, "personalised": False,
                    "question": 0, "urgency": 0},
                   {"subject": "{{first_name}}, spring?", "rank": 1, "personalised": True,
                    "question": 1, "urgency": 0}]}}
    assert missing["scoreSubjectLines"]["__typename"] == "NotFound"
    assert empty == {"scoreSubjectLines": {
        "__typename": "InvalidSubjectLines",
        "message": "subjects must hold 1 to 20 subject lines, got 0"}}


SCORE_DRAFT = """query($s: [String!]!) { scoreSubjectLines(subjects: $s) {
    ... on SubjectLineScores { method modelVersion reason recipients
                               scores { subject rank personalised expectedOpenRate } } } }"""


@pytest.fixture
def open_world(db: Engine) -> Engine:
    subject_world.seed_subject_world(db)
    return db


async def test_score_subject_lines_uses_the_open_model_trained_on_the_database(open_world):
    """Sends and opens in the database → an open model trained by the runner →
    scoreSubjectLines scores with it; without one (or with a tampered artifact) it says
    it fell back and why."""
    subjects = [f"{subject_world.PLAIN} 60", f"{subject_world.PERSONAL} 60"]

    before = (await data_of(open_world, SCORE_DRAFT, {"s": subjects}))["scoreSubjectLines"]
    version = runner.train_model(open_world, runner.TrainParams(
        kind="open", horizon_days=subject_world.HORIZON_DAYS))
    served = (await data_of(open_world, SCORE_DRAFT, {"s": subjects}))["scoreSubjectLines"]
    with open_world.begin() as connection:
        connection.execute(text("UPDATE model_version SET checksum = 'tampered'"))
    tampered = (await data_of(open_world, SCORE_DRAFT, {"s": subjects}))["scoreSubjectLines"]
    baseline = json.dumps({**json.loads(version.artifact), "served": "baseline"}).encode()
    with open_world.begin() as connection:
        connection.execute(text("UPDATE model_version SET artifact = :a, checksum = :c, "
                                "served = 'baseline'"), {"a": baseline, "c": checksum(baseline)})
    ignored = (await data_of(open_world, SCORE_DRAFT, {"s": subjects}))["scoreSubjectLines"]

    assert (before["method"], before["modelVersion"]) == ("FALLBACK", None)
    assert before["reason"].startswith("no active open model (train one with `mailscope "
                                       "train open`): the recipients' recent open rate")
    assert (version.served, version.active) == ("lightgbm", True)
    assert served["method"] == "OPEN_MODEL"
    assert served["modelVersion"] == str(version.id)
    assert served["reason"] == (f"open model version {version.id} (LightGBM) on "
                                f"{subject_world.CUSTOMERS} recipients")
    plain, personal = served["scores"]
    assert (personal["rank"], personal["personalised"], plain["rank"]) == (1, True, 2)
    # The model learned the world's open rates of 0.45 and 0.10; the fallback only moves
    # one base rate by +0.15 on the logit scale for the tag (a few points).
    assert personal["expectedOpenRate"] == pytest.approx(0.45, abs=0.1)
    assert plain["expectedOpenRate"] == pytest.approx(0.10, abs=0.07)
    gap = before["scores"][1]["expectedOpenRate"] - before["scores"][0]["expectedOpenRate"]
    assert 0 < gap < 0.05
    assert (tampered["method"], tampered["modelVersion"]) == ("FALLBACK", None)
    assert tampered["reason"].startswith(f"open model version {version.id}: the artifact "
                                         "does not match its checksum; retrain")
    assert (ignored["method"], ignored["modelVersion"]) == ("FALLBACK", None)
    assert ignored["reason"].startswith(f"open model version {version.id} serves its "
                                        "baseline, which does not look at the subject: ")


async def test_allocate_variants(subject_store):
    query = """{ allocateVariants(campaignId: "k3") { __typename
        ... on VariantAllocations { campaignId variants { variantId sends opens share } } } }"""

    data = (await data_of(subject_store, query))["allocateVariants"]

    assert data["campaignId"] == "k3"
    assert [(v["variantId"], v["sends"], v["opens"]) for v in data["variants"]] == [
        ("A", 4, 2), ("B", 2, 1)]
    assert sum(v["share"] for v in data["variants"]) == pytest.approx(1.0)


async def test_optimize_campaign(subject_store):
    from server.runners import send_time

    query = """{ optimizeCampaign(campaignId: "k3", subjects: ["Spring is here"]) {
        __typename ... on Error { message }
        ... on OptimisationReport { recipients subjectScoring recipientsByBestUtcHour
            sendTime { recommended current }
            personalisation { recommended current expectedImprovement confidence } } } }"""

    refused = (await data_of(subject_store, query))["optimizeCampaign"]
    send_time.compute_send_times(subject_store)
    data = (await data_of(subject_store, query))["optimizeCampaign"]

    assert refused["__typename"] == "InvalidSubjectLines"
    assert data["recipients"] == 3 and data["subjectScoring"] == "FALLBACK"
    assert data["recipientsByBestUtcHour"][13] == 2
    assert data["sendTime"] == {"recommended": "13:00 UTC", "current": "13:00 UTC"}
    assert data["personalisation"]["recommended"] == "first name in the subject"
    assert data["personalisation"]["current"] == "no personalisation"
    assert data["personalisation"]["expectedImprovement"] > 0


@pytest.fixture
def computed(db: Engine) -> Engine:
    seed_send_times(db)
    send_time.compute_send_times(db)
    return db


async def test_customer_scores_show_the_send_time(computed):
    query = """{ customer(id: "s3") { scores { kind modelVersion bestSendHour
                 bestSendWeekday sendTimeSource timezone probability } } }"""

    data = await data_of(computed, query)

    assert data == {"customer": {"scores": [{
        "kind": "SEND_TIME", "modelVersion": None, "bestSendHour": 21, "bestSendWeekday": 1,
        "sendTimeSource": "CUSTOMER", "timezone": "Europe/Berlin", "probability": None}]}}


async def test_send_times_summary(computed):
    query = """{ sendTimes { customers sources { source customers } customersByHour
                 customersByWeekday } }"""

    data = (await data_of(computed, query))["sendTimes"]

    assert data["customers"] == 5
    assert data["sources"] == [{"source": "CUSTOMER", "customers": 3},
                               {"source": "SEGMENT", "customers": 1},
                               {"source": "GLOBAL", "customers": 1}]
    assert len(data["customersByHour"]) == 24 and sum(data["customersByHour"]) == 5
    assert data["customersByHour"][21] == 1
    assert data["customersByWeekday"][0] == 5


async def test_compute_send_times_queues_a_job_for_analysts_only(db):
    broker.flush_all()
    mutation = """mutation { computeSendTimes { __typename ... on Job { actor state } } }"""

    refused = messages_of(await run(db, mutation))
    data = await data_of(db, mutation, user=ANALYST)

    assert refused and "analyst" in refused[0]
    assert data == {"computeSendTimes": {"__typename": "Job", "actor": "score_send_times",
                                         "state": "QUEUED"}}
    with Session(db) as session:
        [row] = session.exec(select(JobRun)).all()
    assert (row.actor, json.loads(row.args)) == ("score_send_times", {})
    broker.flush_all()
