"""Start-up sweep of stage folders: a killed import's folder goes, a live import's (in
another process) stays, as do folders being made and folders of other hosts."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from starlette.testclient import TestClient

from server.app import create_app
from server.db.repository import stage_sweep
from server.settings import configure

ROOT = Path(__file__).resolve().parents[4]
# An import's owner: claims its folder, says so, then waits (for ever, or for stdin).
OWNER = """
import sys
from pathlib import Path
from server.db.repository.stage_sweep import owned
folder = Path(sys.argv[1])
folder.mkdir()
with owned(folder):
    (folder / "stage.db").write_bytes(b"x" * 1000)
    print("ready", flush=True)
    sys.stdin.read()
"""


def _owner(folder: Path) -> subprocess.Popen[str]:
    child = subprocess.Popen([sys.executable, "-c", OWNER, str(folder)], cwd=ROOT,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline() == "ready\n"
    return child


def _finish(child: subprocess.Popen[str]) -> None:
    for stream in (child.stdin, child.stdout):
        if stream is not None:
            stream.close()
    child.wait(30)


def test_a_killed_import_is_swept_and_a_live_one_kept(tmp_path: Path) -> None:
    killed = _owner(tmp_path / f"{stage_sweep.PREFIX}killed")
    live = _owner(tmp_path / f"{stage_sweep.PREFIX}live")
    try:
        os.kill(killed.pid, signal.SIGKILL)
        _finish(killed)
        orphan = tmp_path / f"{stage_sweep.PREFIX}orphan"  # died before naming its owner
        orphan.mkdir()
        os.utime(orphan, (time.time() - 3600, time.time() - 3600))
        fresh = tmp_path / f"{stage_sweep.PREFIX}fresh"  # being made this instant
        fresh.mkdir()
        remote = tmp_path / f"{stage_sweep.PREFIX}remote"
        remote.mkdir()
        (remote / stage_sweep.OWNER).write_text(json.dumps({"pid": 1, "host": "elsewhere"}))
        (tmp_path / "mailscope.db").write_bytes(b"")
        swept = stage_sweep.sweep(tmp_path)
        assert [path.name for path in swept.removed] == [
            f"{stage_sweep.PREFIX}killed", f"{stage_sweep.PREFIX}orphan"]
        assert [path.name for path in swept.live] == [
            f"{stage_sweep.PREFIX}fresh", f"{stage_sweep.PREFIX}live"]
        assert swept.other_hosts == [remote]
        assert sorted(path.name for path in tmp_path.iterdir()) == [
            f"{stage_sweep.PREFIX}fresh", f"{stage_sweep.PREFIX}live",
            f"{stage_sweep.PREFIX}remote", "mailscope.db"]
    finally:
        _finish(live)
    # The live import ended and released its lock: its folder is now a dead one.
    assert [path.name for path in stage_sweep.sweep(tmp_path).removed] == [
        f"{stage_sweep.PREFIX}live"]


def test_the_server_sweeps_at_start_up(sqlite_template: Path, tmp_path: Path) -> None:
    database = tmp_path / "served" / "mailscope.db"
    database.parent.mkdir()
    shutil.copy(sqlite_template, database)
    dead = database.parent / f"{stage_sweep.PREFIX}dead"
    dead.mkdir()
    (dead / stage_sweep.OWNER).write_text(json.dumps({"pid": 1,
                                                      "host": socket.gethostname()}))
    served = configure(database_url=f"sqlite:///{database}", broker_url=None,
                       secret_key="test-secret-key-" + "x" * 32)
    try:
        with TestClient(create_app(served)):
            assert not dead.exists()
    finally:
        configure()
    assert stage_sweep.sweep_for("postgresql://x@localhost/db") is None


def test_odd_entries_are_left_or_treated_as_unclaimed(tmp_path: Path) -> None:
    (tmp_path / f"{stage_sweep.PREFIX}file").write_text("not a folder")
    broken = tmp_path / f"{stage_sweep.PREFIX}broken"
    broken.mkdir()
    (broken / stage_sweep.OWNER).write_text("{not json")
    os.utime(broken, (time.time() - 3600, time.time() - 3600))
    assert stage_sweep.sweep(tmp_path).removed == [broken]
    assert (tmp_path / f"{stage_sweep.PREFIX}file").exists()
    assert stage_sweep.sweep_for(f"sqlite:///{tmp_path / 'gone' / 'x.db'}") == (
        stage_sweep.Swept())
    assert stage_sweep.sweep_for("sqlite:///:memory:") is None
