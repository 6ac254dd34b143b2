"""``mailscope import`` / ``mailscope export`` on both databases."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from server.cli import app
from server.db.engine import engine_for
from server.ingest import load_frame
from server.settings import Settings, configure
from tests.server.ingest.conftest import CAMPAIGNS, CUSTOMERS, snapshot, table_rows

runner = CliRunner()


def run(settings: Settings, *arguments: str):
    return runner.invoke(app, [*arguments, "--database-url", settings.database_url])


def test_import_reports_and_a_replay_changes_nothing(settings: Settings, engine: Engine,
                                                     write_file) -> None:
    path = write_file("customers.csv", CUSTOMERS)
    result = run(settings, "import", "customers", str(path))
    assert result.exit_code == 0, result.output
    assert "customers: 3 received, 3 inserted, 0 updated, 0 unchanged, 0 rejected" in (
        result.output)
    before = snapshot(engine)
    again = run(settings, "import", "customers", str(path))
    assert "0 inserted, 0 updated, 3 unchanged" in again.output
    assert snapshot(engine) == before


def test_a_bad_file_exits_1_names_rows_and_stores_nothing(settings: Settings, engine: Engine,
                                                          write_file) -> None:
    path = write_file("campaigns.csv", CAMPAIGNS.replace("2026-03-08T09:00:00Z", "March 8"))
    result = run(settings, "import", "campaigns", str(path))
    assert result.exit_code == 1
    assert "1 error, nothing was stored" in result.output
    assert ("row 3, column send_at: value 'March 8' — expected an ISO-8601 timestamp"
            in result.output)
    assert table_rows(engine, "SELECT count(*) FROM campaign") == [(0,)]


def test_skip_invalid_writes_rejects_and_exits_2(settings: Settings, engine: Engine,
                                                 write_file, tmp_path) -> None:
    path = write_file("campaigns.csv", CAMPAIGNS.replace("2026-03-08T09:00:00Z", "March 8"))
    rejects = tmp_path / "bad.csv"
    result = run(settings, "import", "campaigns", str(path), "--skip-invalid",
                 "--rejects", str(rejects))
    assert result.exit_code == 2, result.output
    assert f"1 inserted, 0 updated, 0 unchanged, 1 rejected (rejected rows written to " \
           f"{rejects})" in result.output.replace("\n", "")
    assert pl.read_csv(rejects, infer_schema=False).get_column("campaign_id").to_list() == [
        "c2"]


def test_unknown_kind_and_format_are_explained(settings: Settings, write_file) -> None:
    path = write_file("x.txt", CUSTOMERS)
    result = run(settings, "import", "people", str(path))
    assert result.exit_code == 1
    assert "unknown kind 'people': use one of customers, products" in result.output
    result = run(settings, "import", "customers", str(path))
    assert result.exit_code == 1
    assert "cannot tell the format of 'x.txt'" in result.output
    assert run(settings, "import", "customers", str(path), "--format", "csv").exit_code == 0


def test_export_then_reimport_round_trips(settings: Settings, engine: Engine, write_file,
                                          tmp_path) -> None:
    run(settings, "import", "customers", str(write_file("c.csv", CUSTOMERS)))
    for suffix in ("csv", "parquet"):
        output = tmp_path / f"customers.{suffix}"
        result = run(settings, "export", "customers", "-o", str(output))
        assert result.exit_code == 0, result.output
        assert f"customers: 3 rows written to {output}" in result.output
        again = run(settings, "import", "customers", str(output))
        assert "0 inserted, 0 updated, 3 unchanged, 0 rejected" in again.output, again.output


def test_export_refuses_unknown_format_and_missing_folder(settings: Settings,
                                                          tmp_path) -> None:
    result = run(settings, "export", "customers", "-o", str(tmp_path / "c.xlsx"))
    assert result.exit_code == 1
    assert "pass --format csv, parquet or arrow" in result.output
    result = run(settings, "export", "customers", "-o", str(tmp_path / "no" / "c.csv"))
    assert result.exit_code == 1
    assert "does not exist; create it first" in result.output


def test_export_names_an_unknown_data_set_before_the_suffix(settings: Settings,
                                                            tmp_path) -> None:
    result = run(settings, "export", "widgets", "-o", str(tmp_path / "x"))
    assert result.exit_code == 1
    assert "unknown kind 'widgets': use one of customers" in result.output
    result = run(settings, "export", "customers", "-o", str(tmp_path / "x"))
    assert result.exit_code == 1
    assert f"cannot export as -o {tmp_path / 'x'} (no suffix)" in result.output
    assert not (tmp_path / "x").exists()


def test_export_since_a_cursor_writes_new_events_and_prints_the_next_cursor(
        settings: Settings, engine: Engine, tmp_path) -> None:
    from tests.server.ingest.conftest import load_world

    load_world(engine)
    output = tmp_path / "events.arrow"
    result = run(settings, "export", "events", "-o", str(output), "--since", "0")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].startswith("next cursor: ")
    cursor = int(result.output.splitlines()[-1].removeprefix("next cursor: "))
    frame = pl.read_ipc_stream(output.read_bytes())
    assert frame.height == 9 and frame.get_column("ingest_seq").max() == cursor
    again = run(settings, "export", "events", "-o", str(output), "--since", str(cursor))
    assert again.output.splitlines() == [f"events: 0 rows written to {output}",
                                         f"next cursor: {cursor}"]
    refused = run(settings, "export", "orders", "-o", str(output), "--since", "0")
    assert refused.exit_code == 1 and "orders has no ingest sequence" in refused.output


# --- fault: the importing process is killed (kill -9) in the middle of an import ---------

KILLED_SENDS = 60_000


def _writing(database: Path) -> bool:
    """Whether another connection is inside a write transaction on ``database``."""
    probe = sqlite3.connect(database, timeout=0)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.rollback()
        return False
    except sqlite3.OperationalError as error:
        assert "locked" in str(error), error
        return True
    finally:
        probe.close()


def test_a_killed_import_leaves_nothing_and_the_retry_stores_all(
        sqlite_url: str, tmp_path: Path) -> None:
    engine = engine_for(sqlite_url)
    load_frame("customers", pl.DataFrame({
        "customer_id": [f"u{i}" for i in range(100)],
        "email": [f"u{i}@example.com" for i in range(100)]}), engine=engine)
    load_frame("campaigns", pl.DataFrame({"campaign_id": ["c1"], "name": ["Big"]}),
               engine=engine)
    sends = tmp_path / "messages.csv"
    pl.DataFrame({"message_id": [f"m{i}" for i in range(KILLED_SENDS)],
                  "campaign_id": ["c1"] * KILLED_SENDS,
                  "customer_id": [f"u{i % 100}" for i in range(KILLED_SENDS)],
                  "sent_at": ["2026-03-01T09:00:00Z"] * KILLED_SENDS}).write_csv(sends)
    command = [str(Path(sys.executable).with_name("mailscope")), "import", "messages",
               str(sends), "--database-url", sqlite_url]
    child = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL,  # noqa: S603
                             stderr=subprocess.DEVNULL)
    # Killed while it holds the write lock: inside its transaction, before the commit.
    database = Path(sqlite_url.split("///", 1)[1])
    while child.poll() is None and not _writing(database):
        time.sleep(0.002)
    assert child.poll() is None, "the import ended before it could be killed mid-write"
    child.send_signal(signal.SIGSTOP)  # frozen, then checked: did it commit meanwhile?
    mid_write = _writing(database)
    child.kill()
    child.wait(60)

    def stored() -> tuple[int, int]:
        with engine.connect() as connection:
            return (connection.execute(text("SELECT count(*) FROM message")).scalar_one(),
                    connection.execute(text("SELECT coalesce(sum(sent), 0) "
                                            "FROM rollup_campaign_day")).scalar_one())

    assert child.returncode == -9
    # Nothing half-imported (all of it, in the rare case it committed before it froze).
    assert stored() == (0, 0) if mid_write else stored() == (KILLED_SENDS, KILLED_SENDS)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
    again = runner.invoke(app, ["import", "messages", str(sends),
                                "--database-url", sqlite_url])
    assert again.exit_code == 0, again.output
    assert stored() == (KILLED_SENDS, KILLED_SENDS)
    engine.dispose()
    configure()  # --database-url replaced the settings in force
