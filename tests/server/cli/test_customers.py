"""``mailscope customers erase`` and ``export``."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine, text
from typer.testing import CliRunner

from server.cli import app
from server.db.engine import session_scope
from server.db.repository.audit import list_audit
from server.settings import Settings
from tests.worlds import dashboard

runner = CliRunner()


def _customers(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM customer")).scalar_one())


def test_erase_asks_first_and_reports_what_went(settings: Settings, db: Engine) -> None:
    dashboard.load_world(db)
    declined = runner.invoke(app, ["customers", "erase", "u7"], input="n\n")
    assert declined.exit_code == 1 and "nothing erased" in declined.output
    assert _customers(db) == 8
    done = runner.invoke(app, ["customers", "erase", "u7"], input="y\n")
    assert done.exit_code == 0, done.output
    assert done.output.splitlines()[-1] == (
        "erased customer 'u7': 7 rows (email_event 3, customer_profile 1, orders 1, "
        "message 1, customer 1); counters of 1 campaigns recomputed")
    again = runner.invoke(app, ["customers", "erase", "u7", "--yes"])
    assert again.exit_code == 1
    assert "nothing erased: customer 'u7' was already erased" in again.output
    assert _customers(db) == 7
    with session_scope(db) as session:  # recorded, without naming whom
        logged = [(e.action, e.target, e.outcome, json.loads(e.detail))
                  for e in list_audit(session=session)]
    assert logged == [("customers.erase", "[erased]", "refused", {}),
                      ("customers.erase", "[erased]", "ok", {"rows": 7, "campaigns": 1})]
    assert "u7" not in repr(logged)


def test_export_writes_one_json_file(settings: Settings, db: Engine, tmp_path: Path) -> None:
    dashboard.load_world(db)
    out = tmp_path / "u7.json"
    result = runner.invoke(app, ["customers", "export", "u7", "--out", str(out)])
    assert (result.exit_code, result.output) == (
        0, f"customer 'u7': 7 rows written to {out}\n")
    assert json.loads(out.read_text())["tables"]["orders"][0]["order_id"] == "o2"
    with session_scope(db) as session:
        assert [(e.action, e.target) for e in list_audit(session=session)] == [
            ("customers.export", "u7")]
    missing = runner.invoke(app, ["customers", "export", "nobody", "-o", str(out)])
    assert missing.exit_code == 1 and "no customer has id 'nobody'" in missing.output
    nowhere = runner.invoke(app, ["customers", "export", "u7", "-o",
                                  str(tmp_path / "no" / "x.json")])
    assert nowhere.exit_code == 1 and "does not exist; create it first" in nowhere.output
