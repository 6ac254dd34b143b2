"""Erasure leaves the database as if the customer had never existed; export gathers
everything held about one customer."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import Engine, text

from server.db.engine import engine_for
from server.db.repository.erasure import CUSTOMER_TABLES
from server.ingest import load_frame, read_bytes
from server.runners import privacy
from server.runners.report_tables import REPORTS, ReportError, build_table
from tests.server.web.test_reports_export import MARCH, QUERIES
from tests.worlds import dashboard
from tests.worlds.erasure import ERASED, ERASED_EMAIL, load_world_without

# Tables whose rows are a function of the facts (compared between the two worlds).
DERIVED = ("rollup_campaign_day", "rollup_campaign_breakdown", "rollup_campaign_segment")


def _count(engine: Engine, sql: str, **params: object) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(sql), params).scalar_one())


def _table(engine: Engine, name: str) -> pl.DataFrame:
    with engine.connect() as connection:
        result = connection.execute(text(f"SELECT * FROM {name}"))  # noqa: S608
        rows = [dict(row._mapping) for row in result]
    frame = pl.DataFrame(rows, infer_schema_length=None)
    return frame.sort(frame.columns) if rows else frame


def _reports(engine: Engine) -> dict[str, pl.DataFrame | str]:
    tables: dict[str, pl.DataFrame | str] = {}
    for name in REPORTS:
        if name in ("scores", "budget-categories"):
            continue
        query = parse_qs(QUERIES.get(name, MARCH))
        try:
            frame = build_table(engine, name, {k: v[0] for k, v in query.items()}, query)
        except ReportError as error:  # the same refusal in both worlds is equal too
            tables[name] = str(error)
            continue
        tables[name] = frame.drop("computed_at", strict=False)
    return tables


@pytest.fixture
def other_world(sqlite_template: Path, tmp_path: Path) -> Engine:
    path = tmp_path / "never-existed.db"
    shutil.copy(sqlite_template, path)
    engine = engine_for(f"sqlite:///{path}")
    yield load_world_without(engine)
    engine.dispose()


def test_erasure_leaves_the_world_the_customer_never_joined(
        db: Engine, other_world: Engine) -> None:
    dashboard.load_world(db)
    before = _reports(db)
    erased = privacy.erase(db, ERASED)
    assert erased.campaigns == ("c1", "c2")
    assert erased.segments == ("s-vip",)
    assert {name: count for name, count in erased.deleted.items() if count} == {
        "email_event": 5, "segment_member": 1, "customer_profile": 1, "orders": 2, "message": 2,
        "customer": 1}
    after, never = _reports(db), _reports(other_world)
    assert not before["dashboard-summary"].equals(after["dashboard-summary"])  # type: ignore[union-attr]
    for name, frame in never.items():
        if isinstance(frame, str):
            assert after[name] == frame
        else:
            assert_frame_equal(after[name], frame, check_dtypes=False)  # type: ignore[arg-type]
    for name in DERIVED:
        assert_frame_equal(_table(db, name), _table(other_world, name), check_dtypes=False)
    for name in CUSTOMER_TABLES:
        assert _count(db, f"SELECT count(*) FROM {name} WHERE customer_id = :c",  # noqa: S608
                      c=ERASED) == 0


def test_an_old_file_does_not_bring_an_erased_customer_back(db: Engine) -> None:
    dashboard.load_world(db)
    privacy.erase(db, ERASED)
    reports = {kind: load_frame(kind, read_bytes(content.encode(), "csv"), engine=db,
                                first_row=2) for kind, content in dashboard.WORLD}
    assert {kind: report.erased for kind, report in reports.items()} == {
        "customers": 1, "campaigns": 0, "variants": 0, "messages": 2, "events": 5,
        "orders": 2}
    assert "2 skipped: they name customers erased on request" in reports["orders"].summary()
    assert _count(db, "SELECT count(*) FROM customer WHERE customer_id = 'u1'") == 0
    assert _count(db, "SELECT count(*) FROM message") == 10
    # The same person under a new id, by their address, is refused too.
    again = load_frame("customers", read_bytes(
        f"customer_id,email\nu99,{ERASED_EMAIL.upper()}\nu100,new@example.com\n".encode(),
        "csv"), engine=db, first_row=2)
    assert (again.inserted, again.erased) == (1, 1)


def test_erasure_refuses_unknown_and_already_erased_customers(db: Engine) -> None:
    dashboard.load_world(db)
    with pytest.raises(privacy.ErasureRefused, match="no customer has id 'nobody'"):
        privacy.erase(db, "nobody")
    with pytest.raises(privacy.ErasureRefused, match="give the id"):
        privacy.erase(db, "  ")
    privacy.erase(db, ERASED)
    with pytest.raises(privacy.ErasureRefused, match="'u1' was already erased"):
        privacy.erase(db, ERASED)


def test_a_failed_erasure_changes_nothing(db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from server.db.repository import erasure

    dashboard.load_world(db)
    counts = {name: _count(db, f"SELECT count(*) FROM {name}")  # noqa: S608
              for name in (*CUSTOMER_TABLES, "email_event", *DERIVED)}

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(erasure, "drop_report_rollups", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        privacy.erase(db, ERASED)
    assert counts == {name: _count(db, f"SELECT count(*) FROM {name}")  # noqa: S608
                      for name in counts}
    assert _count(db, "SELECT count(*) FROM erasure_tombstone") == 0


def test_export_holds_every_row_about_the_customer(db: Engine) -> None:
    dashboard.load_world(db)
    exported = privacy.export(db, ERASED)
    tables = exported["tables"]
    assert exported["format"] == privacy.EXPORT_FORMAT
    assert sorted(tables) == sorted(["email_event", *CUSTOMER_TABLES])
    assert tables["customer"][0]["email"] == ERASED_EMAIL
    assert [row["message_id"] for row in tables["message"]] == ["m11", "m21"]
    assert [row["order_id"] for row in tables["orders"]] == ["o1", "o4"]
    assert Decimal(tables["orders"][0]["amount"]) == Decimal("40")
    assert tables["orders"][0]["occurred_at"] == "2026-03-03T10:00:00+00:00"
    assert [row["event_id"] for row in tables["email_event"]] == [
        "e01", "e02", "e03", "e21", "e22"]
    assert [row["segment_id"] for row in tables["segment_member"]] == ["s-vip"]
    json.dumps(exported)  # plain JSON values throughout
    with pytest.raises(privacy.NoSuchCustomer, match="no customer has id 'zz'"):
        privacy.export(db, "zz")
