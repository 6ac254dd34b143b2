"""Large imports staged through Arrow in a child process give exactly the same result."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from server.db.engine import engine_for
from server.db.repository import arrow_stage
from server.ingest import IngestError
from tests.server.ingest.conftest import MESSAGES, load_csv, load_world, snapshot

# Messages (4 rows), events (9) and orders (4) of the literal world go through Arrow.
THROUGH_ARROW = 4


def test_arrow_staging_stores_the_same_world(sqlite_template: Path, sqlite_url: str,
                                             tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    reference = tmp_path / "reference.db"
    shutil.copy(sqlite_template, reference)
    engine = engine_for(f"sqlite:///{reference}")
    load_world(engine)
    expected = snapshot(engine)
    other = engine_for(sqlite_url)
    monkeypatch.setattr(arrow_stage, "MIN_ROWS", THROUGH_ARROW)
    load_world(other)
    assert snapshot(other) == expected
    load_world(other)  # a replay through the same path changes nothing
    assert snapshot(other) == expected
    folder = Path(sqlite_url.split("///", 1)[1]).parent
    assert not list(folder.glob(".mailscope-stage-*"))


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
