"""Large imports staged through Arrow in a child process give exactly the same result."""

from __future__ import annotations

import random
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, text

from server.db.engine import engine_for
from server.db.repository import arrow_stage, bulk, events
from server.ingest import IngestError
from tests.server.ingest.conftest import (
    EVENTS,
    MESSAGES,
    WORLD,
    load_csv,
    load_world,
    snapshot,
)

# Messages (4 rows), events (9) and orders (4) of the literal world go through Arrow.
THROUGH_ARROW = 4


def _plain_engine(sqlite_template: Path, tmp_path: Path) -> Engine:
    """A second database, loaded through the plain (executemany) path."""
    reference = tmp_path / "reference.db"
    shutil.copy(sqlite_template, reference)
    return engine_for(f"sqlite:///{reference}")


def _plain_world(sqlite_template: Path, tmp_path: Path) -> dict[str, list[tuple]]:
    """The snapshot of the literal world stored through the plain path."""
    engine = _plain_engine(sqlite_template, tmp_path)
    load_world(engine)
    return snapshot(engine)


def test_arrow_staging_stores_the_same_world(sqlite_template: Path, sqlite_url: str,
                                             tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _plain_world(sqlite_template, tmp_path)
    other = engine_for(sqlite_url)
    monkeypatch.setattr(arrow_stage, "MIN_ROWS", THROUGH_ARROW)
    load_world(other)
    assert snapshot(other) == expected
    load_world(other)  # a replay through the same path changes nothing
    assert snapshot(other) == expected
    assert _stage_folders(sqlite_url) == []


def test_arrow_staged_bad_file_stores_nothing(sqlite_url: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    engine = engine_for(sqlite_url)
    load_world(engine)
    monkeypatch.setattr(arrow_stage, "MIN_ROWS", THROUGH_ARROW)
    before = snapshot(engine)
    with pytest.raises(IngestError) as raised:
        load_csv("messages", MESSAGES.replace("m4,c2,,u1", "m5,c9,,u1"), engine)
    assert [(e.row, e.column, e.value) for e in raised.value.errors] == [
        (5, "campaign_id", "c9")]
    assert snapshot(engine) == before


def test_partly_replayed_events_through_arrow_store_the_same(
        sqlite_template: Path, sqlite_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A file with events already stored and new ones: the polars fold is set aside
    (it counted the replays) and the SQL fold of the new events is used instead."""
    lines = EVENTS.splitlines(keepends=True)
    first, rest = lines[:5], lines[5:]  # the header and four events, then five more
    expected = _plain_world(sqlite_template, tmp_path)
    engine = engine_for(sqlite_url)
    for kind, content in WORLD:
        if kind != "events":
            load_csv(kind, content, engine)
    monkeypatch.setattr(arrow_stage, "MIN_ROWS", THROUGH_ARROW)
    load_csv("events", "".join(first), engine)
    report = load_csv("events", EVENTS, engine)
    assert (report.inserted, report.unchanged) == (len(rest), len(first) - 1)
    assert snapshot(engine) == expected


def _random_events(seed: int, rows: int) -> pl.DataFrame:
    generator = random.Random(seed)
    kinds = ["delivered", "open", "click", "bounce", "unsubscribe", "complaint",
             "deferred", "dropped"]
    start = datetime(2026, 3, 1, tzinfo=UTC)
    records = []
    for number in range(rows):
        kind = generator.choice(kinds)
        records.append({
            "event_id": f"e{number}", "type": kind,
            "occurred_at": start + timedelta(seconds=generator.randrange(10_000)),
            "message_id": f"m{generator.randrange(rows // 4 + 1)}",
            "machine_open": generator.choice([True, False, None]),
            "bounce_type": generator.choice(["hard", "soft", None]) if kind == "bounce"
            else None})
    return pl.DataFrame(records, schema={
        "event_id": pl.String, "type": pl.String,
        "occurred_at": pl.Datetime("us", "UTC"), "message_id": pl.String,
        "machine_open": pl.Boolean, "bounce_type": pl.String})


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_polars_fold_equals_the_sql_fold(sqlite_url: str, seed: int) -> None:
    staged = _random_events(seed, 2_000)
    engine = engine_for(sqlite_url)
    with engine.begin() as connection:
        bulk.stage_frame(connection, "stage_fold_check", staged)
        rows = connection.execute(text(events._AGGREGATE.format(
            stage="stage_fold_check", machine="machine_open = 1")))
        columns = list(rows.keys())
        from_sql = sorted(tuple(row) for row in rows)
    folded = events.fold_frame(staged)
    assert folded is not None
    from_polars = sorted(bulk.encode_for_sqlite(folded.select(columns)).iter_rows())
    assert from_polars == from_sql


def test_no_polars_fold_while_events_still_need_matching() -> None:
    staged = _random_events(4, 20).with_columns(
        pl.when(pl.col("event_id") == "e3").then(None).otherwise(pl.col("message_id"))
        .alias("message_id"))
    assert events.fold_frame(staged) is None


BAD_EVENTS = """event_id,type,occurred_at,message_id,campaign_id,customer_id
x1,delivered,2026-03-01T09:00:05Z,m1,,
x2,open,2026-03-01T09:01:00Z,m9,,
x3,open,2026-03-01T09:02:00Z,m1,c2,
x4,click,2026-03-01T09:03:00Z,m2,c1,u3
x5,open,2026-03-01T09:04:00Z,m3,c1,u3
x6,open,2026-03-01T09:05:00Z,m9,c1,
"""


def _errors(engine, **kwargs) -> list[tuple]:
    with pytest.raises(IngestError) as raised:
        load_csv("events", BAD_EVENTS, engine, **kwargs)
    return [(e.row, e.column, e.value, e.message) for e in raised.value.errors]


def test_arrow_staged_events_report_the_same_errors(
        sqlite_template: Path, sqlite_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Unknown messages and contradicting campaigns or customers: the same errors, row by
    row, whether the messages are looked up per event or once per message."""
    plain = _plain_engine(sqlite_template, tmp_path)
    staged = engine_for(sqlite_url)
    for engine in (plain, staged):
        for kind, content in WORLD[:4]:
            load_csv(kind, content, engine)
    expected = _errors(plain)
    assert [error[:3] for error in expected] == [
        (3, "message_id", "m9"), (4, "campaign_id", "c2"), (5, "customer_id", "u3"),
        (7, "message_id", "m9")]
    monkeypatch.setattr(arrow_stage, "MIN_ROWS", THROUGH_ARROW)
    before = snapshot(staged)
    assert _errors(staged) == expected
    assert snapshot(staged) == before
    monkeypatch.setattr(arrow_stage, "MIN_ROWS", 10**9)
    kept = load_csv("events", BAD_EVENTS, plain, skip_invalid=True)
    monkeypatch.setattr(arrow_stage, "MIN_ROWS", THROUGH_ARROW)
    assert load_csv("events", BAD_EVENTS, staged, skip_invalid=True) == kept
    assert snapshot(staged) == snapshot(plain)


def _stage_folders(sqlite_url: str) -> list[Path]:
    arrow_stage.wait_for_cleanup()
    return list(Path(sqlite_url.split("///", 1)[1]).parent.glob(".mailscope-stage-*"))


def test_frames_stream_to_the_child_in_order(sqlite_url: str) -> None:
    """Several batches per frame, a frame given as a function, and one that turns out to
    have nothing to stage (the rest after it are not staged either)."""
    first = _random_events(5, 1_000)
    second = pl.DataFrame({"n": list(range(300))})
    engine = engine_for(sqlite_url)
    with engine.connect() as connection, arrow_stage.attached(connection, {
            "stage_one": first, "stage_two": lambda: second, "stage_three": lambda: None,
            "stage_four": second}) as tables:
        assert tables == {"stage_one": "ms_stage.stage_one", "stage_two": "ms_stage.stage_two"}
        stored = connection.execute(text(
            "SELECT event_id, message_id FROM ms_stage.stage_one ORDER BY rowid")).all()
        assert stored == list(first.select("event_id", "message_id").iter_rows())
        assert connection.execute(text(
            "SELECT count(*), sum(n) FROM ms_stage.stage_two")).one() == (300, 44_850)
    assert _stage_folders(sqlite_url) == []


def test_a_failing_child_is_reported_and_leaves_nothing(
        sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The child stops at once: the frame no longer fits in the pipe, so sending fails too.
    monkeypatch.setattr(arrow_stage, "_WRITER",
                        "import sys; sys.stderr.write('disk full'); sys.exit(3)")
    engine = engine_for(sqlite_url)
    with engine.connect() as connection:
        with pytest.raises(RuntimeError, match="staging stage_one failed: disk full"), \
                arrow_stage.attached(connection, {"stage_one": _random_events(6, 20_000)}):
            pytest.fail("nothing is attached when the child fails")
        assert connection.execute(text("SELECT count(*) FROM message")).scalar() == 0
    assert _stage_folders(sqlite_url) == []


def test_a_frame_function_that_raises_stops_the_staging(sqlite_url: str) -> None:
    def broken() -> pl.DataFrame:
        raise ValueError("no fold today")

    engine = engine_for(sqlite_url)
    with engine.connect() as connection:
        with pytest.raises(ValueError, match="no fold today"), arrow_stage.attached(
                connection, {"stage_one": _random_events(7, 50_000), "stage_two": broken}):
            pytest.fail("nothing is attached when a frame cannot be made")
        assert connection.execute(text("SELECT count(*) FROM message")).scalar() == 0
    assert _stage_folders(sqlite_url) == []
