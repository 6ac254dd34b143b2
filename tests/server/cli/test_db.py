"""``mailscope db backup`` and ``restore``: messages, refusals and exit codes."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from server.cli import app
from server.settings import configure

runner = CliRunner()


@pytest.fixture(autouse=True)
def _settings_restored() -> object:
    yield None
    configure()  # --database-url replaced the settings in force


def test_backup_then_restore_with_and_without_force(sqlite_url: str, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    made = runner.invoke(app, ["db", "backup", str(copy), "--database-url", sqlite_url])
    assert made.exit_code == 0, made.output
    assert made.output.startswith(f"backup written to {copy}: ")
    assert made.output.rstrip().endswith("integrity ok")
    refused = runner.invoke(app, ["db", "restore", str(copy), "--database-url", sqlite_url])
    assert refused.exit_code == 1
    assert "nothing restored: " in refused.output and "pass --force" in refused.output
    done = runner.invoke(app, ["db", "restore", str(copy), "--force",
                               "--database-url", sqlite_url])
    assert done.exit_code == 0 and "integrity ok) into" in done.output
    assert "mailscope db upgrade" not in done.output
    with sqlite3.connect(copy) as db:  # a backup from before the newest migration
        db.execute("UPDATE alembic_version SET version_num = '1564bc3aa805'")
    old = runner.invoke(app, ["db", "restore", str(copy), "--database-url",
                              f"sqlite:///{tmp_path / 'new.db'}"])
    assert old.exit_code == 0 and "run `mailscope db upgrade`" in old.output
    again = runner.invoke(app, ["db", "backup", str(copy), "--database-url", sqlite_url])
    assert again.exit_code == 1 and "no backup made: " in again.output


@pytest.mark.parametrize(("command", "refusal"), [("backup", "no backup made: "),
                                                  ("restore", "nothing restored: ")])
def test_both_commands_refuse_a_postgresql_database_the_same_way(
        command: str, refusal: str, sqlite_url: str, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    made = runner.invoke(app, ["db", "backup", str(copy), "--database-url", sqlite_url])
    assert made.exit_code == 0, made.output
    target = copy if command == "restore" else tmp_path / "other.db"
    refused = runner.invoke(app, ["db", command, str(target), "--database-url",
                                  "postgresql://nobody@127.0.0.1:1/none"])
    assert refused.exit_code == 1
    assert refused.output.startswith(refusal) and "pg_dump and pg_restore" in refused.output


def test_a_setting_that_does_not_hold_is_named_without_a_traceback(tmp_path):
    env = {**os.environ, "MAILSCOPE_DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
           "MAILSCOPE_WORKER_HEARTBEAT_TIMEOUT_S": "1"}
    done = subprocess.run([str(Path(sys.executable).parent / "mailscope"), "db", "upgrade"],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == ("configuration error: MAILSCOPE_WORKER_HEARTBEAT_TIMEOUT_S: "
                                   "Input should be greater than or equal to 2")
    assert not (tmp_path / "x.db").exists()


def test_an_empty_setting_means_not_set(tmp_path):
    # MAILSCOPE_DATABASE_URL= used to reach SQLAlchemy as the URL "" (a traceback).
    env = {**os.environ, "MAILSCOPE_DATABASE_URL": ""}
    done = subprocess.run([str(Path(sys.executable).parent / "mailscope"), "db", "upgrade"],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "var" / "mailscope.db").exists()
