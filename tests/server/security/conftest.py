"""An app factory for the protection tests: the real app on a migrated SQLite copy, with
the settings each test names."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.db.engine import engine_for
from server.settings import configure
from tests.server.web.conftest import make_key

AppMaker = Callable[..., tuple[TestClient, dict[str, str]]]


@pytest.fixture
def make_client(sqlite_template: Path, tmp_path: Path,
                monkeypatch: pytest.MonkeyPatch) -> Iterator[AppMaker]:
    """``make_client(**settings)`` -> a started client and one key per role; every client
    made in one test shares its database (as replicas do)."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "mailscope.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = engine_for(url)
    keys = {role: make_key(engine, role) for role in ("viewer", "admin", "ingest")}
    clients: list[TestClient] = []

    def make(**values: Any) -> tuple[TestClient, dict[str, str]]:
        settings = configure(database_url=url, secret_key="security-" + "x" * 32,
                             broker_url=None, **values)
        client = TestClient(create_app(settings), raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client, keys

    yield make
    for client in clients:
        client.__exit__(None, None, None)
    engine.dispose()
    configure()
