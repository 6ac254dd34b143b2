"""Fault test: PostgreSQL stops during ingestion. The client gets a clear 503 and nothing
is stored; once the database is back the same server (no restart) takes the import.

It runs a throw-away PostgreSQL of its own (tests/server/own_postgres.py), never the
shared one.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from starlette.testclient import TestClient

from server.app import create_app
from server.db.engine import engine_for
from server.db.migrate import upgrade
from server.settings import configure
from tests.server.own_postgres import OwnPostgres
from tests.server.web.conftest import make_key


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
