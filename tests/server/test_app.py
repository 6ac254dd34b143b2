"""Bad input, end to end: every case in tests/server/bad_inputs.json is refused with a 4xx
that names the problem, no table changes, and the server stays healthy; injection strings
in every text field of an import are stored as text and rendered escaped."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from server.app import create_app
from server.db.engine import engine_for
from server.settings import configure
from tests.server.table_state import table_state
from tests.server.web.conftest import make_key

CORPUS = json.loads((Path(__file__).parent / "bad_inputs.json").read_text())
TEXT_FIELDS = ("name", "subject_line", "sender_name", "campaign_type", "category",
               "template_id")


def body_of(case: dict[str, Any]) -> bytes:
    if "repeat" in case:
        text = (case.get("prefix", "") + case["repeat"] * case["count"]
                + "id " + case["closing"] * case["count"] if "closing" in case else
                case.get("prefix", "") + case["repeat"] * case["count"])
        text += case.get("suffix", "")
    else:
        text = case.get("text", "")
    data = text.encode(case.get("encoding", "utf-8"))
    return (b"\xef\xbb\xbf" + data) if case.get("bom") else data


@pytest.fixture(scope="module")
def app_client(sqlite_template: Path,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Engine,
                                                                         str]]:
    folder = tmp_path_factory.mktemp("bad-input")
    shutil.copy(sqlite_template, folder / "mailscope.db")
    settings = configure(database_url=f"sqlite:///{folder / 'mailscope.db'}",
                         secret_key="bad-input-" + "x" * 32, broker_url=None,
                         rate_limit_per_second=0, rate_limit_anonymous_per_second=0)
    engine = engine_for(settings.database_url)
    admin = make_key(engine, "admin")
    with TestClient(create_app(settings)) as client:
        seeded = client.post("/api/import/campaigns", headers={
            "Authorization": f"Bearer {admin}", "Content-Type": "text/csv"},
            content=b"campaign_id,name,send_at\nc1,Spring,2026-03-01T09:00:00Z\n")
        assert seeded.status_code == 200, seeded.text
        yield client, engine, admin
    engine.dispose()
    configure()


@pytest.mark.parametrize("case", CORPUS["cases"], ids=[c["name"] for c in CORPUS["cases"]])
def test_bad_input_is_refused_by_name(app_client: tuple[TestClient, Engine, str],
                                      case: dict[str, Any]) -> None:
    client, engine, admin = app_client
    before = table_state(engine)
    headers = {"Authorization": f"Bearer {admin}"}
    if "content_type" in case:
        headers["Content-Type"] = case["content_type"]
    if case.get("method", "POST") == "GET":
        response = client.get(case["path"], headers=headers)
    else:
        response = client.post(case["path"], content=body_of(case), headers=headers)
    assert response.status_code == case["status"], response.text[:500]
    assert case["contains"] in response.text, response.text[:500]
    assert table_state(engine) == before
    assert client.get("/healthz").json()["status"] == "ok"


def test_injection_strings_are_stored_as_text_and_rendered_escaped(
        app_client: tuple[TestClient, Engine, str]) -> None:
    client, engine, admin = app_client
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["campaign_id", *TEXT_FIELDS])
    injections: list[str] = CORPUS["injections"]
    for number, text in enumerate(injections):
        writer.writerow([f"inj-{number}", *[text] * len(TEXT_FIELDS)])
    bearer = {"Authorization": f"Bearer {admin}"}
    stored = client.post("/api/import/campaigns", content=buffer.getvalue().encode(),
                         headers={**bearer, "Content-Type": "text/csv"})
    assert stored.status_code == 200 and stored.json()["inserted"] == len(injections)
    query = """{ campaigns(first: 50) { totalCount edges { node { id name subjectLine
                 senderName campaignType category } } } }"""
    data = client.post("/graphql", json={"query": query}, headers=bearer).json()["data"]
    assert data["campaigns"]["totalCount"] == len(injections) + 1
    nodes = {node["id"]: node for node in
             (edge["node"] for edge in data["campaigns"]["edges"])}
    for number, text in enumerate(injections):
        node = nodes[f"inj-{number}"]
        assert {node[field] for field in ("name", "subjectLine", "senderName",
                                          "campaignType", "category")} == {text}
    page = client.get("/campaigns", headers=bearer).text
    assert "&lt;script&gt;alert(" in page and "<script>alert(" not in page
    assert "<img src=x" not in page and "{{ 7*7 }}" in page
    detail = client.get("/campaigns/inj-6", headers=bearer)
    assert detail.status_code == 200 and "<script>alert(" not in detail.text
    # The SQL went nowhere: the keys table is whole.
    assert client.get("/api/openapi.json", headers=bearer).status_code == 200
