"""Owning and sweeping the stage folders of large SQLite imports.

An import stages its rows in a folder ``.mailscope-stage-*`` beside the database file
(``arrow_stage``). A killed import (kill -9, power loss) leaves its folder behind, and a
large one holds gigabytes. Each folder therefore holds a lock file the import keeps
locked (``flock``) while it runs, and an ``owner.json`` naming its process and host. The
kernel releases the lock when the process ends however it ends, so a folder whose lock
can be taken belongs to a dead import and is removed; a locked one belongs to a live
import (of this process or another) and is kept. Folders of another host are kept too
(their lock says nothing here), and reported.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

PREFIX = ".mailscope-stage-"
LOCK = "owner.lock"
OWNER = "owner.json"
# A folder with no owner file yet may be one being made this instant: left alone until
# it is this old.
UNCLAIMED_GRACE_SECONDS = 300.0


@contextmanager
def owned(folder: Path) -> Iterator[None]:
    """Hold ``folder``'s lock (and name its owner) while the block runs."""
    with open(folder / LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        (folder / OWNER).write_text(json.dumps({
            "pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}))
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@dataclass
class Swept:
    """Stage folders removed (dead imports) and kept (live ones, or another host's)."""

    removed: list[Path] = field(default_factory=list)
    live: list[Path] = field(default_factory=list)
    other_hosts: list[Path] = field(default_factory=list)


def _owner(folder: Path) -> dict[str, object] | None:
    try:
        owner = json.loads((folder / OWNER).read_text())
    except (OSError, ValueError):
        return None
    return owner if isinstance(owner, dict) else None


def _is_locked(folder: Path) -> bool:
    """Whether a live process holds the folder's lock."""
    try:
        lock = open(folder / LOCK, "a")  # noqa: SIM115  (closed below, lock or not)
    except OSError:
        return False
    with lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(lock, fcntl.LOCK_UN)
        return False


def sweep(database_folder: Path, *, now: float | None = None) -> Swept:
    """Remove the stage folders of dead imports under ``database_folder``."""
    swept = Swept()
    now = time.time() if now is None else now
    host = socket.gethostname()
    for folder in sorted(database_folder.glob(PREFIX + "*")):
        if not folder.is_dir():
            continue
        owner = _owner(folder)
        if owner is None:
            with contextlib.suppress(OSError):
                if now - folder.stat().st_mtime < UNCLAIMED_GRACE_SECONDS:
                    swept.live.append(folder)
                    continue
        elif owner.get("host") != host:
            swept.other_hosts.append(folder)
            continue
        if _is_locked(folder):
            swept.live.append(folder)
            continue
        shutil.rmtree(folder, ignore_errors=True)
        swept.removed.append(folder)
    if swept.removed:
        log.warning("removed %d stage folders of killed imports under %s",
                    len(swept.removed), database_folder)
    if swept.other_hosts:
        log.warning("kept %d stage folders of imports on other hosts under %s: remove them "
                    "by hand once those imports are over", len(swept.other_hosts),
                    database_folder)
    return swept


def sweep_for(database_url: str) -> Swept | None:
    """Sweep the folder of a SQLite database file (None for other databases)."""
    if not database_url.startswith("sqlite"):
        return None
    path = database_url.split("///", 1)[-1]
    if not path or path == ":memory:":
        return None
    folder = Path(path).resolve().parent
    return sweep(folder) if folder.is_dir() else Swept()
