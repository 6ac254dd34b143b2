"""``mailscope privacy hash-emails``, and commands refusing a hashing setting that does
not match the stored addresses."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from server.cli import app
from server.db.engine import session_scope
from server.db.repository.audit import list_audit
from server.ingest import load_frame
from server.settings import Settings, configure
from tests.server.ingest.conftest import csv_frame

runner = CliRunner()
KEY = "k" * 40


def _emails(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return [row[0] for row in connection.execute(text(
            "SELECT email FROM customer ORDER BY customer_id"))]


@pytest.fixture
def hashed(settings: Settings) -> Iterator[Settings]:
    yield configure(**(settings.model_dump() | {"email_hashing": True,
                                                "email_hash_key": KEY}))
    configure()


def test_hash_emails_asks_converts_once_and_is_audited(
        settings: Settings, db: Engine, tmp_path: Path) -> None:
    load_frame("customers", csv_frame("customer_id,email\nu1,ana@example.com\n"
                                      "u2,bo@gmail.com\n"), engine=db)
    refused = runner.invoke(app, ["privacy", "hash-emails", "--yes"])
    assert refused.exit_code == 1
    assert "set MAILSCOPE_EMAIL_HASHING=on and MAILSCOPE_EMAIL_HASH_KEY first" in (
        refused.output)
    configure(**(settings.model_dump() | {"email_hashing": True, "email_hash_key": KEY}))
    import_file = tmp_path / "more.csv"
    import_file.write_text("customer_id,email\nu3,cy@outlook.com\n")
    blocked = runner.invoke(app, ["import", "customers", str(import_file)])
    assert blocked.exit_code == 1
    assert ("refusing to start: MAILSCOPE_EMAIL_HASHING is on but 2 customer addresses "
            "are still stored in plain: run `mailscope privacy hash-emails` first") in (
        blocked.output.replace("\n", " "))
    declined = runner.invoke(app, ["privacy", "hash-emails"], input="n\n")
    assert declined.exit_code == 1 and "nothing converted" in declined.output
    done = runner.invoke(app, ["privacy", "hash-emails"], input="y\n")
    assert done.exit_code == 0, done.output
    assert done.output.splitlines()[-1] == (
        "2 addresses hashed; 0 customer ids and 0 send and event ids made from addresses renamed; "
        "0 webhook delivery bodies removed, 0 kept events, audit and job records rewritten")
    assert all(email.startswith("h1:") and len(email) == 67 for email in _emails(db))
    again = runner.invoke(app, ["privacy", "hash-emails", "--yes"])
    assert again.output.splitlines()[-1] == (
        "nothing to convert: every stored address is already hashed")
    imported = runner.invoke(app, ["import", "customers", str(import_file)])
    assert imported.exit_code == 0, imported.output
    assert "@" not in "".join(_emails(db))
    with session_scope(db) as session:
        logged = [(e.action, e.outcome, json.loads(e.detail))
                  for e in list_audit(session=session) if e.action.startswith("privacy")]
    assert logged == [
        ("privacy.hash_emails", "ok", {"summary": "nothing to convert: every stored "
                                                  "address is already hashed"}),
        ("privacy.hash_emails", "ok", {"summary": done.output.splitlines()[-1]})]
    configure(**settings.model_dump())
    off = runner.invoke(app, ["import", "customers", str(import_file)])
    assert off.exit_code == 1
    assert "hashing cannot be reversed" in off.output.replace("\n", " ")
    configure()


def test_a_different_key_is_refused(hashed: Settings, db: Engine, tmp_path: Path) -> None:
    import_file = tmp_path / "c.csv"
    import_file.write_text("customer_id,email\nu1,ana@example.com\n")
    assert runner.invoke(app, ["import", "customers", str(import_file)]).exit_code == 0
    configure(**(hashed.model_dump() | {"email_hash_key": "z" * 40}))
    result = runner.invoke(app, ["privacy", "hash-emails", "--yes"])
    assert result.exit_code == 1
    assert "not the key this database's addresses were hashed with" in (
        result.output.replace("\n", " "))
