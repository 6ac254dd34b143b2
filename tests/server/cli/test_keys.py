"""``mailscope apikey create|list|rotate|revoke`` and ``mailscope schema``."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from typer.testing import CliRunner

from server.auth import authenticate_key
from server.cli import app
from server.db.engine import session_scope
from server.settings import Settings

runner = CliRunner()


def _secret(output: str) -> str:
    return [line for line in output.splitlines() if line.startswith("ms_")][0]


def test_create_rotate_revoke_and_list(settings: Settings, engine: Engine) -> None:
    url = ["--database-url", settings.database_url]
    created = runner.invoke(app, ["apikey", "create", "--role", "analyst", "--name", "etl",
                                  "--expires-in-days", "30", *url])
    assert created.exit_code == 0, created.output
    first = _secret(created.output)
    rotated = runner.invoke(app, ["apikey", "rotate", "1", "--grace-minutes", "10", *url])
    assert rotated.exit_code == 0, rotated.output
    assert "the old secret works for 10 more minutes" in rotated.output
    second = _secret(rotated.output)
    with session_scope(engine) as session:
        assert authenticate_key(session=session, raw_key=first) is not None
        assert authenticate_key(session=session, raw_key=second) is not None
    at_once = runner.invoke(app, ["apikey", "rotate", "1", *url])
    assert "the old secret no longer works" in at_once.output
    with session_scope(engine) as session:
        assert authenticate_key(session=session, raw_key=second) is None
    listed = runner.invoke(app, ["apikey", "list", *url])
    row = listed.output.splitlines()[1].split()
    assert row[2] == "analyst" and row[-2:] == ["active", "etl"]
    assert "never" in listed.output.splitlines()[1] or row[3] != "never"
    revoked = runner.invoke(app, ["apikey", "revoke", "1", *url])
    assert revoked.exit_code == 0 and "revoked key 1 ('etl')" in revoked.output
    assert "revoked" in runner.invoke(app, ["apikey", "list", *url]).output


def test_errors_name_the_option(settings: Settings) -> None:
    url = ["--database-url", settings.database_url]
    bad_role = runner.invoke(app, ["apikey", "create", "--role", "root", *url])
    assert bad_role.exit_code == 1 and "--role/--name: unknown role 'root'" in bad_role.output
    bad_days = runner.invoke(app, ["apikey", "create", "--role", "viewer",
                                   "--expires-in-days", "0", *url])
    assert bad_days.exit_code == 1 and "--expires-in-days 0" in bad_days.output
    missing = runner.invoke(app, ["apikey", "rotate", "5", *url])
    assert missing.exit_code == 1 and "API key 5 does not exist" in missing.output
    runner.invoke(app, ["apikey", "create", "--role", "viewer", *url])
    too_long = runner.invoke(app, ["apikey", "rotate", "1", "--grace-minutes", "20000", *url])
    assert too_long.exit_code == 1 and "out of range" in too_long.output
    assert runner.invoke(app, ["apikey", "revoke", "9", *url]).exit_code == 1


def test_schema_commands_write_their_files(tmp_path: Path) -> None:
    sdl = runner.invoke(app, ["schema", "export", "-o", str(tmp_path / "s.graphql")])
    assert sdl.exit_code == 0 and "auditLog" in (tmp_path / "s.graphql").read_text()
    spec = runner.invoke(app, ["schema", "openapi", "-o", str(tmp_path / "o.json")])
    assert spec.exit_code == 0 and (tmp_path / "o.json").exists()
