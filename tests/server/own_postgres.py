"""A throw-away PostgreSQL of a test's own (initdb into a temporary folder, a free
loopback port), for fault and backup tests that must stop or restore a server: never the
shared one. Found as .ci/services.sh finds it; missing binaries skip locally, fail in CI."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import IN_CI


def _pg_bin() -> Path | None:
    """PostgreSQL's server binaries, found as .ci/services.sh finds them."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class OwnPostgres:
    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        self.folder = Path(tempfile.mkdtemp(prefix="mailscope-fault-pg-", dir="/tmp"))
        self.data = self.folder / "data"
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def run(self, *argv: str) -> None:
        command = [str(self.binaries / argv[0]), *argv[1:]]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            command = ["su", "postgres", "-c", subprocess.list2cmdline(command)]
        subprocess.run(command, check=True, capture_output=True, timeout=120)  # noqa: S603

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self.run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres")

    def start(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "log"), "-w",
                  "-t", "60", "-o", f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1 "
                                    "-c fsync=off", "start")

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    binaries = _pg_bin()
    if binaries is None:
        if IN_CI:
            pytest.fail("PostgreSQL's initdb is not installed in CI")
        pytest.skip("PostgreSQL server binaries (initdb) are not installed")
    server = OwnPostgres(binaries)
    server.init()
    server.start()
    try:
        yield server
    finally:
        subprocess.run([str(binaries / "pg_ctl"), "-D", str(server.data), "-m",  # noqa: S603
                        "immediate", "stop"], capture_output=True, check=False,
                       user="postgres" if os.geteuid() == 0 else None)
        shutil.rmtree(server.folder, ignore_errors=True)
