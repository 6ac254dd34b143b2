"""Fault test: PostgreSQL stops during ingestion. The client gets a clear 503 and nothing
is stored; once the database is back the same server (no restart) takes the import.

It runs a throw-away PostgreSQL of its own (initdb into a temporary folder, a free
loopback port), never the shared one.
"""

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
from sqlalchemy import text
from starlette.testclient import TestClient

from server.app import create_app
from server.db.engine import engine_for
from server.db.migrate import upgrade
from server.settings import configure
from tests.conftest import IN_CI
from tests.server.web.conftest import make_key


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

    def _run(self, *argv: str) -> None:
        command = [str(self.binaries / argv[0]), *argv[1:]]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            command = ["su", "postgres", "-c", subprocess.list2cmdline(command)]
        subprocess.run(command, check=True, capture_output=True, timeout=120)  # noqa: S603

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "log"), "-w",
                  "-t", "60", "-o", f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1 "
                                    "-c fsync=off", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")


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


def _customers(first: int, count: int) -> bytes:
    rows = "".join(f"u{i},u{i}@example.com\n" for i in range(first, first + count))
    return ("customer_id,email\n" + rows).encode()


def test_postgres_down_during_ingest_is_a_503_then_recovers(own_postgres: OwnPostgres,
                                                            tmp_path: Path,
                                                            monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    upgrade(own_postgres.url)
    engine = engine_for(own_postgres.url)
    key = make_key(engine, "admin")
    # A broker URL keeps embedded workers (which would poll the stopped database) off.
    settings = configure(database_url=own_postgres.url, broker_url="redis://127.0.0.1:1/0",
                         secret_key="test-secret-key-" + "x" * 32)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "text/csv"}
    try:
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            first = client.post("/api/import/customers", content=_customers(0, 50),
                                headers=headers)
            assert first.status_code == 200, first.text
            own_postgres.stop()
            down = client.post("/api/import/customers", content=_customers(50, 50),
                               headers=headers)
            assert down.status_code == 503
            assert down.headers["retry-after"] == "5"
            assert down.json() == {"error": "The database is unavailable right now; nothing "
                                            "was changed. Retry in a few seconds."}
            assert client.get("/healthz").status_code == 503
            own_postgres.start()
            again = client.post("/api/import/customers", content=_customers(50, 50),
                                headers=headers)
            assert again.status_code == 200, again.text
            assert again.json()["inserted"] == 50
            with engine.connect() as connection:
                assert connection.execute(text("SELECT count(*) FROM customer")
                                          ).scalar_one() == 100
    finally:
        configure()
        engine.dispose()


async def test_other_unexpected_errors_stay_a_plain_500() -> None:
    from starlette.requests import Request

    from server.app import unexpected_error

    request = Request({"type": "http", "method": "GET", "path": "/x", "headers": [],
                       "query_string": b"", "server": ("test", 80), "scheme": "http",
                       "root_path": ""})
    response = await unexpected_error(request, RuntimeError("boom"))
    assert (response.status_code, response.body) == (500, b"Internal Server Error")
