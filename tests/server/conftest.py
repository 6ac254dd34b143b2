"""Fixtures for tests that go through the HTTP app: a client on the test database, keys,
and the webhook fixtures shared by the server tests of more than one module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from server.app import create_app
from server.settings import Settings
from tests.server.own_postgres import own_postgres  # noqa: F401  (a fixture, found by name)
from tests.server.web.conftest import make_key
from tests.server.webhooks.support import (  # noqa: F401  (fixtures, found by name)
    clean_broker,
    hook_client,
    hook_settings,
    keys,
)


@pytest.fixture
def client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def admin_key(engine: Engine) -> str:
    return make_key(engine, "admin")


@pytest.fixture
def viewer_key(engine: Engine) -> str:
    return make_key(engine, "viewer")
