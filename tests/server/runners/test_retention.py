"""Raw-event retention deletes old ledger rows and changes no dashboard figure; events
older than the period are refused at import, so a replay of a deleted event never counts
twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from server.cli import app
from server.ingest import load_frame, read_bytes
from server.runners import retention
from server.settings import Settings, configure
from tests.server.runners.test_privacy import _reports, _table
from tests.worlds import dashboard

# c1's events (2 March) are older than 3 days on 6 March; c2's (10 March) are not yet.
NOW = datetime(2026, 3, 6, tzinfo=UTC)
LATER = datetime(2026, 3, 20, tzinfo=UTC)


@pytest.fixture
def kept_three_days(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setattr("server.ingest.load.utcnow", lambda: LATER)
    yield configure(**{**settings.model_dump(), "raw_event_retention_days": 3})
    configure(**settings.model_dump())


def _events(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM email_event")).scalar_one())


def test_retention_keeps_every_dashboard_figure(db: Engine) -> None:
    dashboard.load_world(db)
    before = _reports(db)
    dry = retention.apply(db, 3, dry_run=True, now=NOW)
    assert (dry.expired, dry.deleted, _events(db)) == (
        {"bounce": 2, "click": 1, "delivered": 4, "open": 3, "unsubscribe": 1}, 0, 23)
    assert dry.summary() == (
        "raw events before 2026-03-03T00:00:00+00:00 (3 days): would delete 11 (bounce 2, "
        "click 1, delivered 4, open 3, unsubscribe 1); send facts and rollups unchanged")
    rollups = _table(db, "rollup_campaign_day")
    done = retention.apply(db, 3, now=NOW)
    assert (done.deleted, _events(db)) == (11, 12)
    assert_frame_equal(_table(db, "rollup_campaign_day"), rollups)
    after = _reports(db)
    # The device breakdown reads raw events' user agents: it is documented to lose the
    # deleted ones, so it is not compared.
    del before["campaign-breakdown"], after["campaign-breakdown"]
    for name, frame in before.items():
        if isinstance(frame, str):
            assert after[name] == frame
        else:
            assert_frame_equal(after[name], frame)  # type: ignore[arg-type]


def test_a_replay_of_deleted_events_is_refused_not_counted(db: Engine,
                                                           kept_three_days: Settings) -> None:
    for kind, content in dashboard.WORLD:
        if kind != "events":
            load_frame(kind, read_bytes(content.encode(), "csv"), engine=db, first_row=2)
    report = load_frame("events", read_bytes(dashboard.EVENTS.encode(), "csv"), engine=db,
                        first_row=2)
    # Every event is older than 3 days on 20 March: nothing stored, nothing folded.
    assert (report.inserted, report.expired) == (0, 23)
    assert "23 events older than the raw-event retention period skipped" in report.summary()
    with db.connect() as connection:
        assert connection.execute(text("SELECT sum(open_count) FROM message")).scalar_one() == 0


def test_the_command_needs_a_period_and_reports_counts(settings: Settings, db: Engine) -> None:
    dashboard.load_world(db)
    runner = CliRunner()
    missing = runner.invoke(app, ["retention", "apply"])
    assert missing.exit_code == 1 and "MAILSCOPE_RAW_EVENT_RETENTION_DAYS" in missing.output
    zero = runner.invoke(app, ["retention", "apply", "--days", "0"])
    assert zero.exit_code == 1 and "would delete every event" in zero.output
    dry = runner.invoke(app, ["retention", "apply", "--days", "3", "--dry-run"])
    assert dry.exit_code == 0 and "would delete 23" in dry.output
    assert _events(db) == 23
    done = runner.invoke(app, ["retention", "apply", "--days", "3"])
    assert done.exit_code == 0 and ": deleted 23 (" in done.output
    assert _events(db) == 0
