"""SQLite backups through SQLite's online backup API, and checked restores.

``backup`` copies a live database (the server may be writing: in WAL mode the copy is one
read transaction, a consistent point that never blocks writers) into a new file, then
checks the copy. ``restore`` checks a backup (integrity, a schema revision this code
knows) before writing it over the configured database through the same API, so
connections already open on the database see the restored data, never a half-copied file.
PostgreSQL is backed up with ``pg_dump`` (see "Backups" in the README).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory

from server.db.migrate import alembic_config


class BackupError(Exception):
    """The backup or restore was refused or failed; the message says why and the fix."""


def sqlite_path(url: str) -> Path:
    """The file of a SQLite URL; ``BackupError`` for any other database."""
    if not url.startswith("sqlite"):
        raise BackupError("mailscope db backup/restore handle SQLite files; back up "
                          "PostgreSQL with pg_dump and pg_restore (see \"Backups\" in the "
                          "README)")
    path = url.split("///", 1)[-1]
    if not path or path == ":memory:":
        raise BackupError(f"{url} is not a database file")
    return Path(path)


@dataclass(frozen=True)
class Checked:
    """A database file that passed the checks: its schema revision and table count."""

    path: Path
    revision: str
    tables: int
    pages: int


def _revisions() -> tuple[str, set[str]]:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    head = script.get_current_head()
    assert head is not None
    return head, {revision.revision for revision in script.walk_revisions()}


def check(path: Path) -> Checked:
    """Open ``path`` read-only and check it is a sound Mailscope database."""
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            result = [row[0] for row in db.execute("PRAGMA integrity_check")]
            if result != ["ok"]:
                raise BackupError(f"{path} fails SQLite's integrity check: "
                                  f"{'; '.join(result[:5])}")
            try:
                revision = db.execute("SELECT version_num FROM alembic_version").fetchone()
            except sqlite3.OperationalError:
                revision = None
            tables = db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                                ).fetchone()[0]
            pages = db.execute("PRAGMA page_count").fetchone()[0]
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a readable SQLite database: {error}") from None
    if revision is None:
        raise BackupError(f"{path} has no schema revision: it is not a Mailscope database")
    _, known = _revisions()
    if revision[0] not in known:
        raise BackupError(f"{path} is at schema revision {revision[0]}, which this version "
                          "of Mailscope does not know (a newer version made it): restore it "
                          "with that version")
    return Checked(path=path, revision=revision[0], tables=int(tables), pages=int(pages))


def _copy(source: sqlite3.Connection, target: sqlite3.Connection) -> None:
    # One step (pages=-1): one read transaction on the source, so the copy is a single
    # consistent point even while other connections write.
    source.backup(target, pages=-1)


def backup(url: str, destination: Path, *, overwrite: bool = False) -> Checked:
    """Copy the SQLite database at ``url`` to ``destination`` (a new file unless
    ``overwrite``) while it may be in use, and check the copy."""
    source_path = sqlite_path(url)
    if not source_path.is_file():
        raise BackupError(f"{source_path}: no database to back up")
    if destination.exists() and not overwrite:
        raise BackupError(f"{destination} exists: choose a new file or pass --force")
    if not destination.parent.is_dir():
        raise BackupError(f"{destination.parent} does not exist; create it first")
    partial = destination.with_name(f".{destination.name}.partial-{os.getpid()}")
    partial.unlink(missing_ok=True)
    try:
        with contextlib.closing(sqlite3.connect(source_path, timeout=30)) as source, \
                contextlib.closing(sqlite3.connect(partial)) as target:
            _copy(source, target)
            # A self-contained file: no WAL beside it.
            target.execute("PRAGMA journal_mode=DELETE")
        checked = check(partial)
        partial.replace(destination)
    finally:
        partial.unlink(missing_ok=True)
    return Checked(path=destination, revision=checked.revision, tables=checked.tables,
                   pages=checked.pages)


def restore(url: str, source: Path, *, force: bool = False) -> Checked:
    """Check the backup at ``source``, then write it over the SQLite database at ``url``.
    An existing database (perhaps in use by a running server) is overwritten only with
    ``force``."""
    checked = check(source)
    target_path = sqlite_path(url)
    if target_path.exists() and target_path.stat().st_size > 0 and not force:
        raise BackupError(f"{target_path} exists (a server may be running on it): pass "
                          "--force to overwrite it with the backup")
    target_path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as backup_db, \
            contextlib.closing(sqlite3.connect(target_path, timeout=30)) as target:
        target.execute("PRAGMA busy_timeout=30000")
        _copy(backup_db, target)
        result = [row[0] for row in target.execute("PRAGMA integrity_check")]
    if result != ["ok"]:
        raise BackupError(f"the restored {target_path} fails SQLite's integrity check: "
                          f"{'; '.join(result[:5])}")
    return checked


def is_current(checked: Checked) -> bool:
    """Whether the checked database is at this code's newest schema revision."""
    head, _ = _revisions()
    return checked.revision == head
