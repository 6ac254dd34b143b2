"""refresh_segments proves the incremental membership, then restores a full recomputation."""

from __future__ import annotations

from collections.abc import Iterator

import dramatiq
import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

import jobs
from jobs.actors import segments as actors
from jobs.broker import QUEUE, broker
from server.db.repository.jobs import get_job_run
from server.runners.customers import create_rule_segment, membership_drift
from server.settings import Settings
from tests.server.ingest.conftest import load_world, table_rows


@pytest.fixture
def worker() -> Iterator[dramatiq.Worker]:
    worker = dramatiq.Worker(broker, worker_timeout=50, worker_threads=1)
    worker.start()
    yield worker
    worker.stop()


def _members(engine: Engine) -> list[tuple]:
    return table_rows(engine, "SELECT segment_id, customer_id FROM segment_member "
                              "ORDER BY segment_id, customer_id")


def test_the_job_counts_drift_and_restores_membership(settings: Settings, engine: Engine,
                                                      worker: dramatiq.Worker) -> None:
    load_world(engine)
    create_rule_segment(engine, segment_id="buyers", name="Buyers",
                        definition="purchases >= 1")
    assert membership_drift(engine) == {}
    expected = [("buyers", "u1"), ("buyers", "u3")]
    assert _members(engine) == expected
    with engine.begin() as connection:  # lose one member and add a stranger
        connection.execute(text("DELETE FROM segment_member WHERE customer_id = 'u3'"))
        connection.execute(text("INSERT INTO segment_member (segment_id, customer_id, "
                                "added_at) VALUES ('buyers', 'u2', '2026-01-01')"))
    assert membership_drift(engine) == {"buyers": 2}

    job_id = jobs.send("refresh_segments")
    broker.join(QUEUE)
    worker.join()

    with Session(engine) as session:
        job = get_job_run(session=session, job_id=job_id)
        assert job is not None and (job.state, job.progress, job.error) == ("done", 1.0, None)
        # In: u3 to buyers, all three to their lifecycle stage and cluster, u1 and u3 to
        # their value tier and RFM segment; out: the stranger u2.
        assert job.detail is not None and job.detail.endswith(
            "2 members out of place before the refresh; 3 profiles, 11 entered, 1 left")
    members = _members(engine)
    assert [m for m in members if m[0] == "buyers"] == expected
    # RFM segments are made and filled: u1 (3 orders, 75.50) and u3 (1 order, 99.99).
    rfm = [m for m in members if m[0].startswith("rfm-")]
    assert sorted(customer for _, customer in rfm) == ["u1", "u3"]
    tiers = [m for m in members if m[0].startswith("value-")]
    # u3 (99.99) ranks first of two buyers (share 0), u1 (75.50) second (share 0.5)
    assert tiers == [("value-high", "u3"), ("value-low", "u1")]
    clustered = [m for m in members if m[0].startswith("cluster-")]
    assert sorted(customer for _, customer in clustered) == ["u1", "u2", "u3"]
    assert membership_drift(engine) == {}
    assert table_rows(engine, "SELECT customer_id FROM segment_membership WHERE "
                              "segment_id = 'buyers' AND left_at IS NULL "
                              "ORDER BY customer_id") == [("u1",), ("u3",)]

    # A redelivered message converges to the same membership.
    actors.refresh_segments(job_id)
    assert _members(engine) == members
