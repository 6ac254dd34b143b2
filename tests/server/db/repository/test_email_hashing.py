"""The start-up check: the server refuses a hashing setting that does not match the
stored addresses (the runner's tests cover the conversion)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from server.app import create_app
from server.db.repository import email_hashing as state
from server.ingest import load_frame
from server.settings import Settings, configure
from tests.server.ingest.conftest import csv_frame

KEY = "k" * 40


def test_the_server_refuses_to_start_on_a_mismatch(settings: Settings, db: Engine) -> None:
    load_frame("customers", csv_frame("customer_id,email\nu1,ana@example.com\n"), engine=db)
    on = configure(**(settings.model_dump() | {"email_hashing": True, "email_hash_key": KEY}))
    with (pytest.raises(state.HashingMismatch, match="run `mailscope privacy hash-emails`"),
          TestClient(create_app(on))):
        pass
    with TestClient(create_app(settings)) as client:  # off, addresses plain: fine
        assert client.get("/healthz").status_code == 200
    configure()


def test_an_empty_database_remembers_the_key_at_the_first_start(settings: Settings,
                                                                 db: Engine) -> None:
    on = configure(**(settings.model_dump() | {"email_hashing": True, "email_hash_key": KEY}))
    with db.connect() as connection:
        assert state.marker(connection) is None
    state.check_engine(db, on)
    with db.connect() as connection:
        assert (state.plain_count(connection), state.hashed_count(connection)) == (0, 0)
        assert state.marker(connection) is not None
    with pytest.raises(state.HashingMismatch, match="hashing cannot be reversed"):
        state.check_engine(db, settings)
    configure()
