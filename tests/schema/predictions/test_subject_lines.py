"""scoreSubjectLines and allocateVariants."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, insert, text

from server.db.models import Campaign
from tests.schema.conftest import data_of
from tests.server.send_time_world import seed_send_times


@pytest.fixture
def store(db: Engine) -> Engine:
    seed_send_times(db)
    with db.begin() as connection:
        connection.execute(insert(Campaign), [
            {"campaign_id": "k3", "name": "Spring",
             "send_at": datetime(2026, 1, 8, 13, tzinfo=UTC)}])
        connection.execute(text("UPDATE message SET variant_id = CASE WHEN customer_id = "
                                "'s3' THEN 'B' ELSE 'A' END WHERE campaign_id = 'k3'"))
    return db


async def test_score_subject_lines_for_a_campaign_and_refusals(store):
    query = """query($c: ID, $s: [String!]!) { scoreSubjectLines(campaignId: $c, subjects: $s) {
        __typename
        ... on SubjectLineScores { method modelVersion recipients sendAt
                                   scores { subject rank personalised question urgency } }
        ... on Error { message } } }"""

    data = await data_of(store, query, {"c": "k3", "s": ["Spring is here",
                                                        "{{first_name}}, spring?"]})
    missing = await data_of(store, query, {"c": "zz", "s": ["Hi"]})
    empty = await data_of(store, query, {"c": "k3", "s": []})

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


async def test_allocate_variants(store):
    query = """{ allocateVariants(campaignId: "k3") { __typename
        ... on VariantAllocations { campaignId variants { variantId sends opens share } } } }"""

    data = (await data_of(store, query))["allocateVariants"]

    assert data["campaignId"] == "k3"
    assert [(v["variantId"], v["sends"], v["opens"]) for v in data["variants"]] == [
        ("A", 4, 2), ("B", 2, 1)]
    assert sum(v["share"] for v in data["variants"]) == pytest.approx(1.0)


async def test_optimize_campaign(store):
    from server.runners import send_time

    query = """{ optimizeCampaign(campaignId: "k3", subjects: ["Spring is here"]) {
        __typename ... on Error { message }
        ... on OptimisationReport { recipients subjectScoring recipientsByBestUtcHour
            sendTime { recommended current }
            personalisation { recommended current expectedImprovement confidence } } } }"""

    refused = (await data_of(store, query))["optimizeCampaign"]
    send_time.compute_send_times(store)
    data = (await data_of(store, query))["optimizeCampaign"]

    assert refused["__typename"] == "InvalidSubjectLines"
    assert data["recipients"] == 3 and data["subjectScoring"] == "FALLBACK"
    assert data["recipientsByBestUtcHour"][13] == 2
    assert data["sendTime"] == {"recommended": "13:00 UTC", "current": "13:00 UTC"}
    assert data["personalisation"]["recommended"] == "first name in the subject"
    assert data["personalisation"]["current"] == "no personalisation"
    assert data["personalisation"]["expectedImprovement"] > 0
