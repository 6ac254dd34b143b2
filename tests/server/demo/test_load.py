"""Loading the demo through the ingestion path, on SQLite and PostgreSQL.

``database_is_empty``: the test ``--if-empty`` and ``make run`` rely on."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from server.cli import app
from server.db.engine import session_scope
from server.db.models import Campaign, Customer
from server.demo import KINDS, database_is_empty, generate, load_demo, load_demo_if_empty
from server.ingest import validate_frame

SMALL = {"customers": 500, "campaigns": 6, "days": 30, "seed": 5}


TABLES = {"customers": "customer", "products": "product", "campaigns": "campaign",
          "variants": "campaign_variant", "messages": "message", "events": "email_event",
          "orders": "orders", "touchpoints": "touchpoint", "behavior": "behavior_event",
          "spend": "spend"}


def _table_counts(engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {kind: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for kind, table in TABLES.items()}


def test_generated_frames_pass_validation():
    data = generate(**SMALL)
    for kind in KINDS:
        assert validate_frame(kind, data.frames[kind]).errors == [], kind


def test_load_demo_fills_every_table_with_the_generated_rows(engine):
    assert database_is_empty(engine)
    seen: dict[str, int] = {}
    data = load_demo(engine, **SMALL, progress=lambda kind, done, total: seen.update(
        {kind: done}))
    assert _table_counts(engine) == data.counts()
    assert seen == data.counts()
    assert not database_is_empty(engine)
    with engine.connect() as connection:
        delivered = connection.execute(text(
            "SELECT count(*) FROM message WHERE delivered_at IS NOT NULL")).scalar_one()
    events = data.frames["events"]
    assert delivered == events.filter(type="delivered").height


def test_load_demo_if_empty_loads_once(engine):
    assert load_demo_if_empty(engine, **SMALL) is True
    first = _table_counts(engine)
    assert load_demo_if_empty(engine, **SMALL) is False
    assert _table_counts(engine) == first


def test_cli_loads_prints_counts_and_writes_truth(settings, engine, tmp_path):
    truth = tmp_path / "truth.json"
    runner = CliRunner()
    arguments = ["demo", "--customers", "300", "--campaigns", "4", "--days", "21",
                 "--seed", "2", "--truth", str(truth), "--database-url", settings.database_url]
    result = runner.invoke(app, arguments)
    assert result.exit_code == 0, result.output
    expected = generate(customers=300, campaigns=4, days=21, seed=2)
    for kind, count in expected.counts().items():
        assert f"{kind:<12} {count:>10,}" in result.output
    assert json.loads(truth.read_text()) == json.loads(json.dumps(expected.truth))
    again = runner.invoke(app, [*arguments[:-4], "--if-empty", "--database-url",
                                settings.database_url])
    assert again.exit_code == 0, again.output
    assert "database already has campaigns: demo not loaded" in again.output
    assert _table_counts(engine) == expected.counts()


def test_cli_refuses_a_truth_path_in_a_missing_folder(settings, tmp_path):
    missing = tmp_path / "nope" / "truth.json"
    result = CliRunner().invoke(app, ["demo", "--customers", "50", "--truth", str(missing),
                                      "--database-url", settings.database_url])
    assert result.exit_code == 1
    assert f"folder {missing.parent} does not exist" in result.output


def test_order_amounts_survive_loading(engine):
    data = load_demo(engine, **SMALL)
    with engine.connect() as connection:
        total = connection.execute(text("SELECT sum(amount) FROM orders")).scalar_one()
    assert float(total) == pytest.approx(
        data.frames["orders"]["amount"].cast(pl.Float64).sum(), abs=0.01)


def test_only_a_campaign_makes_the_database_non_empty(engine):
    assert database_is_empty(engine) is True
    with session_scope(engine) as session:
        session.add(Customer(customer_id="c1", email="a@example.com", email_domain="example.com"))
    assert database_is_empty(engine) is True
    with session_scope(engine) as session:
        session.add(Campaign(campaign_id="cmp1", name="Launch",
                             send_at=datetime(2026, 10, 1, tzinfo=UTC)))
    assert database_is_empty(engine) is False
