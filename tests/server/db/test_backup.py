"""SQLite backups taken while another connection writes are a consistent point, pass the
integrity check and restore to equal counts; bad backups and overwrites are refused."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from server.db import backup
from server.db.engine import engine_for
from tests.server.own_postgres import OwnPostgres

AFTER_BACKUP = 5  # writes the writer makes once the backup is done


def _counts(path: Path) -> tuple[int, int]:
    with sqlite3.connect(path) as db:
        campaigns = db.execute("SELECT count(*) FROM campaign").fetchone()[0]
        variants = db.execute("SELECT count(*) FROM campaign_variant").fetchone()[0]
    return int(campaigns), int(variants)


def _writer(engine: Engine, started: threading.Event, done: threading.Event) -> None:
    """Pairs of rows (a campaign and its variant), one transaction each, until a few
    writes after ``done``: a consistent point has as many of one as of the other."""
    number, after = 0, 0
    while after < AFTER_BACKUP:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO campaign (campaign_id, name) "
                                    "VALUES (:c, :c)"), {"c": f"c{number}"})
            connection.execute(text("INSERT INTO campaign_variant (campaign_id, variant_id, "
                                    "weight) VALUES (:c, 'A', 1.0)"), {"c": f"c{number}"})
        number += 1
        if number == 20:
            started.set()
        if done.is_set():
            after += 1


def test_a_backup_during_writes_restores_a_consistent_point(sqlite_url: str,
                                                            tmp_path: Path) -> None:
    engine = engine_for(sqlite_url)
    live = backup.sqlite_path(sqlite_url)
    started, done = threading.Event(), threading.Event()
    writer = threading.Thread(target=_writer, args=(engine, started, done))
    writer.start()
    try:
        assert started.wait(60)
        checked = backup.backup(sqlite_url, tmp_path / "copy.db")
    finally:
        done.set()
        writer.join(60)
    campaigns, variants = _counts(tmp_path / "copy.db")
    assert campaigns == variants and campaigns >= 20
    assert _counts(live)[0] >= campaigns + AFTER_BACKUP
    assert (checked.revision, backup.is_current(checked)) == (
        backup.check(live).revision, True)
    # Into a new file, then over the live database while its engine stays open.
    fresh = tmp_path / "fresh.db"
    backup.restore(f"sqlite:///{fresh}", tmp_path / "copy.db")
    assert _counts(fresh) == (campaigns, variants)
    with pytest.raises(backup.BackupError, match="pass --force to overwrite"):
        backup.restore(sqlite_url, tmp_path / "copy.db")
    backup.restore(sqlite_url, tmp_path / "copy.db", force=True)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM campaign")).scalar_one() == (
            campaigns)
        assert connection.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
    engine.dispose()


def test_bad_backups_are_refused_and_change_nothing(sqlite_url: str, tmp_path: Path) -> None:
    live = backup.sqlite_path(sqlite_url)
    before = live.read_bytes()
    with pytest.raises(backup.BackupError, match="no such file"):
        backup.restore(sqlite_url, tmp_path / "missing.db", force=True)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    with pytest.raises(backup.BackupError, match="not a readable SQLite database"):
        backup.restore(sqlite_url, garbage, force=True)
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE t (x)")
    with pytest.raises(backup.BackupError, match="not a Mailscope database"):
        backup.restore(sqlite_url, foreign, force=True)
    future = tmp_path / "future.db"
    backup.backup(sqlite_url, future)
    with sqlite3.connect(future) as db:
        db.execute("UPDATE alembic_version SET version_num = 'ffffffffffff'")
    with pytest.raises(backup.BackupError, match="revision ffffffffffff, which this version"):
        backup.restore(sqlite_url, future, force=True)
    with pytest.raises(backup.BackupError, match="exists: choose a new file or pass --force"):
        backup.backup(sqlite_url, future)
    with pytest.raises(backup.BackupError, match="pg_dump"):
        backup.backup("postgresql://x@localhost/db", tmp_path / "pg.db")
    with pytest.raises(backup.BackupError, match="does not exist; create it first"):
        backup.backup(sqlite_url, tmp_path / "no" / "copy.db")
    assert live.read_bytes() == before


def test_the_documented_pg_dump_and_pg_restore_commands(own_postgres: OwnPostgres,
                                                        tmp_path: Path) -> None:
    """The README's PostgreSQL backup: pg_dump, pg_restore into a new database, upgrade."""
    from server.db.migrate import upgrade
    from tests.worlds import dashboard

    upgrade(own_postgres.url)
    source = engine_for(own_postgres.url)
    dashboard.load_world(source)
    dump = own_postgres.folder / "mailscope.dump"
    restored = own_postgres.url.rsplit("/", 1)[0] + "/mailscope_restored"
    own_postgres.run("pg_dump", "--format=custom", "--no-owner", f"--file={dump}",
                     own_postgres.url)
    own_postgres.run("createdb", "-h", "127.0.0.1", "-p", str(own_postgres.port), "-U",
                     "postgres", "mailscope_restored")
    own_postgres.run("pg_restore", "--no-owner", "--exit-on-error",
                     f"--dbname={restored}", str(dump))
    upgrade(restored)  # a no-op here: the dump is already at the newest revision
    target = engine_for(restored)
    counts = ("SELECT (SELECT version_num FROM alembic_version), "
              "(SELECT count(*) FROM customer), (SELECT count(*) FROM message), "
              "(SELECT count(*) FROM email_event), (SELECT sum(sent) FROM rollup_campaign_day)")
    try:
        with source.connect() as before, target.connect() as after:
            assert after.execute(text(counts)).one() == before.execute(text(counts)).one()
            assert after.execute(text("SELECT count(*) FROM customer")).scalar_one() == 8
    finally:
        source.dispose()
        target.dispose()
