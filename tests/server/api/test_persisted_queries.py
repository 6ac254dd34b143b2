"""/graphql with a persisted-query manifest, with and without persisted-only mode."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from schema.persisted import document_hash
from server.app import create_app
from server.settings import Settings, configure
from tests.server.web.conftest import make_key

JOBS = "query Jobs { jobs(first: 2) { edges { node { id } } } }"
OTHER = "query Other { jobs(first: 1) { edges { node { state } } } }"
EMPTY = {"data": {"jobs": {"edges": []}}}


def _client(settings: Settings, engine: Engine, tmp_path: Path, *, only: bool) -> TestClient:
    manifest = tmp_path / "persisted.json"
    manifest.write_text(json.dumps({document_hash(JOBS): JOBS}))
    values = settings.model_dump() | {"graphql_persisted_queries": str(manifest),
                                      "graphql_persisted_only": only}
    client = TestClient(create_app(configure(**values)))
    client.headers["Authorization"] = f"Bearer {make_key(engine, 'viewer')}"
    return client


def _by_hash(digest: str) -> dict[str, object]:
    return {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}}


@pytest.fixture(autouse=True)
def _restore_settings():
    yield
    configure()


def test_a_hash_runs_its_document(settings: Settings, engine: Engine, tmp_path) -> None:
    client = _client(settings, engine, tmp_path, only=False)
    response = client.post("/graphql", json=_by_hash(document_hash(JOBS)))
    assert response.status_code == 200 and response.json() == EMPTY
    got = client.get("/graphql", params={"extensions": json.dumps(_by_hash(
        document_hash(JOBS))["extensions"])})
    assert got.json() == EMPTY
    unknown = client.post("/graphql", json=_by_hash("0" * 64)).json()
    assert unknown["errors"][0]["extensions"] == {"code": "PERSISTED_QUERY_NOT_FOUND"}
    # Without persisted-only mode, any document still runs.
    assert client.post("/graphql", json={"query": OTHER}).json() == EMPTY


def test_persisted_only_mode_refuses_other_documents(settings: Settings, engine: Engine,
                                                     tmp_path) -> None:
    client = _client(settings, engine, tmp_path, only=True)
    refused = client.post("/graphql", json={"query": OTHER})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["extensions"] == {"code": "PERSISTED_QUERY_NOT_ALLOWED"}
    assert client.get("/graphql", params={"query": OTHER}).status_code == 400
    assert client.post("/graphql", json={"query": JOBS}).json() == EMPTY
    assert client.post("/graphql", json=_by_hash(document_hash(JOBS))).json() == EMPTY


def test_persisted_only_without_a_manifest_is_a_configuration_error(
        settings: Settings) -> None:
    with pytest.raises(ValueError, match="MAILSCOPE_GRAPHQL_PERSISTED_QUERIES"):
        create_app(configure(**(settings.model_dump() | {"graphql_persisted_only": True})))
