"""Experiment reads on the literal world of ``tests/worlds/experiments.py``, on SQLite and
PostgreSQL."""

from __future__ import annotations

import json

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import Engine
from sqlmodel import Session

from server.db.models import ExperimentCreate
from server.db.repository.experiments import (
    LOOK_COLUMNS,
    campaign_start,
    daily_looks,
    get_experiment,
    get_experiment_by_id,
    mark_webhook_sent,
    planned_variants,
    record_winner,
    save_experiment,
    variant_ids,
    variant_summaries,
)
from tests.worlds.experiments import load_experiment_world

SUMMARY_SCHEMA = {"variant_id": pl.String, "sent": pl.Int64, "delivered": pl.Int64,
                  "opens": pl.Int64, "clicks": pl.Int64, "conversions": pl.Int64,
                  "unsubscribes": pl.Int64, "complaints": pl.Int64, "revenue_sum": pl.Float64,
                  "revenue_sum_squares": pl.Float64, "clicks_and_opens": pl.Int64}
LOOK_SCHEMA = {"day": pl.Int64, "variant_id": pl.String, "delivered": pl.Int64,
               "opens": pl.Int64, "clicks": pl.Int64, "conversions": pl.Int64,
               "unsubscribes": pl.Int64, "complaints": pl.Int64, "revenue_sum": pl.Float64,
               "revenue_sum_squares": pl.Float64}


@pytest.fixture
def world(engine: Engine):
    load_experiment_world(engine)
    yield engine
    engine.dispose()


def test_variant_summaries_count_delivered_sends_only(world: Engine) -> None:
    with Session(world) as session:
        frame = variant_summaries(session=session, campaign_id="ab")
    # m3's only open came from a privacy proxy; m10 bounced, so B has 4 delivered.
    expected = pl.DataFrame([
        ("A", 5, 5, 2, 1, 1, 1, 0, 40.0, 1600.0, 1),
        ("B", 5, 4, 3, 3, 2, 0, 1, 95.0, 4825.0, 3),
    ], schema=SUMMARY_SCHEMA, orient="row")
    assert_frame_equal(frame, expected)


def test_daily_looks_are_cumulative_by_day_since_send(world: Engine) -> None:
    with Session(world) as session:
        frame = daily_looks(session=session, campaign_id="ab")
    expected = pl.DataFrame([
        # Day 0: m9 is not delivered yet; o1 (day 1) not bought yet; m6 bought 25.
        (0, "A", 5, 1, 1, 0, 0, 0, 0.0, 0.0),
        (0, "B", 3, 2, 1, 1, 0, 0, 25.0, 625.0),
        (1, "A", 5, 2, 1, 1, 0, 0, 40.0, 1600.0),
        (1, "B", 4, 2, 2, 1, 0, 1, 25.0, 625.0),
        # m6's second order makes its running revenue 35, so the squares are 35², not
        # 25² + 10².
        (2, "A", 5, 2, 1, 1, 1, 0, 40.0, 1600.0),
        (2, "B", 4, 3, 3, 1, 0, 1, 35.0, 1225.0),
        (3, "A", 5, 2, 1, 1, 1, 0, 40.0, 1600.0),
        (3, "B", 4, 3, 3, 2, 0, 1, 95.0, 4825.0),
    ], schema=LOOK_SCHEMA, orient="row")
    assert_frame_equal(frame, expected)


def test_last_look_equals_the_totals(world: Engine) -> None:
    with Session(world) as session:
        for campaign_id in ("ab", "srm"):
            looks = daily_looks(session=session, campaign_id=campaign_id)
            last = looks.filter(pl.col("day") == looks["day"].max()).drop("day")
            totals = variant_summaries(session=session, campaign_id=campaign_id)
            assert_frame_equal(last, totals.select(last.columns))


def test_late_activity_folds_into_the_last_look(world: Engine) -> None:
    with Session(world) as session:
        frame = daily_looks(session=session, campaign_id="ab", max_days=1)
        totals = variant_summaries(session=session, campaign_id="ab")
    assert frame["day"].unique().to_list() == [0, 1]
    assert_frame_equal(frame.filter(pl.col("day") == 1).drop("day"),
                       totals.select(["variant_id", *LOOK_COLUMNS]))


def test_campaign_without_variants_or_sends(world: Engine) -> None:
    with Session(world) as session:
        assert variant_ids(session=session, campaign_id="solo") == [""]
        assert variant_summaries(session=session, campaign_id="nope").is_empty()
        empty = daily_looks(session=session, campaign_id="nope")
        assert empty.is_empty()
        assert empty.schema == pl.Schema(LOOK_SCHEMA)
        assert campaign_start(session=session, campaign_id="nope") is None
        assert str(campaign_start(session=session, campaign_id="ab")) == \
            "2026-03-01 09:00:00+00:00"
        assert [(v.variant_id, v.weight) for v in
                planned_variants(session=session, campaign_id="srm")] == [("A", 0.95),
                                                                          ("B", 0.05)]


def test_experiment_rows_save_decide_and_record_the_webhook(world: Engine) -> None:
    with Session(world) as session:
        row = save_experiment(session=session, experiment_in=ExperimentCreate(
            campaign_id="ab", primary_metric="open_rate", webhook_url="https://x.test/h"))
        first_id = row.id
        again = save_experiment(session=session, experiment_in=ExperimentCreate(
            campaign_id="ab", method="sequential", guardrails=json.dumps(["complaint_rate"])))
        assert again.id == first_id
        assert (again.primary_metric, again.method, again.webhook_url) == \
            ("click_rate", "sequential", None)
        decided = record_winner(session=session, experiment_id=first_id, winner="B",
                                lift=0.25, lift_interval=(0.1, 0.4), forced=True,
                                reason="launch date", declared_by="analyst key")
        assert (decided.status, decided.winner_variant, decided.winner_lift_low,
                decided.winner_lift_high, decided.forced) == ("decided", "B", 0.1, 0.4, True)
        assert decided.declared_at is not None and decided.declared_at.tzinfo is not None
        mark_webhook_sent(session=session, experiment_id=first_id)
        session.commit()
    with Session(world) as session:
        stored = get_experiment(session=session, campaign_id="ab")
        assert stored is not None and stored.webhook_sent_at is not None
        assert get_experiment_by_id(session=session, experiment_id=first_id) is not None
        assert get_experiment(session=session, campaign_id="srm") is None
        with pytest.raises(LookupError, match="experiment 999 does not exist"):
            mark_webhook_sent(session=session, experiment_id=999)
