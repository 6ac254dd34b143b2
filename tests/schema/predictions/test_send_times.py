"""The send-time API: Customer.scores shows it, sendTimes summarises it,
computeSendTimes queues its job."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from jobs.broker import broker
from server.db.models import JobRun
from server.runners import send_time
from tests.schema.conftest import ANALYST, data_of, messages_of, run
from tests.server.send_time_world import seed_send_times


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
