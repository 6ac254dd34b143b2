"""``POST /api/import/{kind}`` and ``GET /api/export/{dataset}.{format}`` over HTTP."""

from __future__ import annotations

import io
from collections.abc import Iterator

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import Engine
from starlette.testclient import TestClient

from server.app import create_app
from server.settings import Settings
from tests.server.ingest.conftest import CAMPAIGNS, CUSTOMERS, snapshot, table_rows
from tests.server.web.conftest import log_in, make_key


@pytest.fixture
def client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def bearer(engine: Engine, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key(engine, role)}"}


def test_import_needs_a_key_with_the_ingest_or_admin_role(client: TestClient,
                                                          engine: Engine) -> None:
    url = "/api/import/customers?format=csv"
    assert client.post(url, content=CUSTOMERS).status_code == 401
    refused = client.post(url, content=CUSTOMERS, headers=bearer(engine, "analyst"))
    assert refused.status_code == 403
    assert "needs the 'ingest' role" in refused.json()["error"]
    accepted = client.post(url, content=CUSTOMERS, headers=bearer(engine, "ingest"))
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert (body["kind"], body["received"], body["inserted"], body["rejected"]) == (
        "customers", 3, 3, 0)
    assert body["summary"] == ("customers: 3 received, 3 inserted, 0 updated, 0 unchanged, "
                               "0 rejected")


def test_multipart_upload_and_content_type(client: TestClient, engine: Engine) -> None:
    headers = bearer(engine, "admin")
    response = client.post("/api/import/customers", headers=headers,
                           files={"file": ("customers.csv", CUSTOMERS, "text/csv")})
    assert response.status_code == 200, response.text
    response = client.post("/api/import/campaigns", content=CAMPAIGNS,
                           headers={**headers, "Content-Type": "text/csv"})
    assert response.json()["inserted"] == 2
    unknown = client.post("/api/import/campaigns", content=CAMPAIGNS, headers=headers)
    assert unknown.status_code == 400
    assert "pass ?format=csv|parquet|ndjson" in unknown.json()["error"]


def test_bad_rows_get_422_with_every_error_and_nothing_stored(client: TestClient,
                                                              engine: Engine) -> None:
    headers = bearer(engine, "admin")
    before = snapshot(engine)
    bad = CUSTOMERS.replace("bo@gmail.com", "bo-at-gmail").replace("pt,Europe", "pt,Mars")
    response = client.post("/api/import/customers?format=csv", content=bad, headers=headers)
    assert response.status_code == 422
    body = response.json()
    assert body["error_count"] == 2
    assert [(e["row"], e["column"], e["value"]) for e in body["errors"]] == [
        (2, "timezone", "Europe/Lisbon".replace("Europe", "Mars")), (3, "email", "bo-at-gmail")]
    assert snapshot(engine) == before
    skipped = client.post("/api/import/customers?format=csv&skip_invalid=true", content=bad,
                          headers=headers)
    assert (skipped.json()["inserted"], skipped.json()["rejected"]) == (1, 2)


def test_unknown_kind_is_404(client: TestClient, engine: Engine) -> None:
    response = client.post("/api/import/people?format=csv", content=CUSTOMERS,
                           headers=bearer(engine, "admin"))
    assert response.status_code == 404
    assert "unknown kind 'people'" in response.json()["error"]


def test_browser_sessions_need_the_csrf_token(client: TestClient, engine: Engine) -> None:
    token = log_in(client, make_key(engine, "admin"))
    url = "/api/import/customers?format=csv"
    refused = client.post(url, content=CUSTOMERS)
    assert refused.status_code == 403
    assert "security token" in refused.json()["error"]
    accepted = client.post(url, content=CUSTOMERS, headers={"X-CSRF-Token": token})
    assert accepted.status_code == 200, accepted.text


def test_export_needs_admin_and_round_trips(client: TestClient, engine: Engine) -> None:
    admin = bearer(engine, "admin")
    client.post("/api/import/customers?format=csv", content=CUSTOMERS, headers=admin)
    assert client.get("/api/export/customers.csv",
                      headers=bearer(engine, "viewer")).status_code == 403
    csv = client.get("/api/export/customers.csv", headers=admin)
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.headers["content-disposition"] == 'attachment; filename="customers.csv"'
    assert csv.text.splitlines()[0] == ("customer_id,email,first_name,last_name,signup_at,"
                                        "country,timezone")
    parquet = client.get("/api/export/customers.parquet", headers=admin)
    frame = pl.read_parquet(io.BytesIO(parquet.content))
    assert frame.get_column("email").to_list() == ["ana@example.com", "bo@gmail.com",
                                                   "cy@outlook.com"]
    arrow = client.get("/api/export/customers.arrow", headers=admin)
    assert arrow.headers["content-type"] == "application/vnd.apache.arrow.stream"
    assert_frame_equal(pl.read_ipc_stream(io.BytesIO(arrow.content)), frame)
    again = client.post("/api/import/customers?format=csv", content=csv.text, headers=admin)
    assert again.json()["unchanged"] == 3
    assert client.get("/api/export/customers.xlsx", headers=admin).status_code == 404
    assert client.get("/api/export/people.csv", headers=admin).status_code == 404
    assert table_rows(engine, "SELECT count(*) FROM customer") == [(3,)]


def test_nightly_sync_reads_only_new_events(client: TestClient, engine: Engine) -> None:
    """The README's worked example: everything once, then only what changed."""
    from tests.server.ingest.conftest import load_world

    load_world(engine)
    admin = bearer(engine, "admin")
    first = client.get("/api/export/events.parquet?since=0", headers=admin)
    assert first.status_code == 200, first.text
    cursor = first.headers["X-Mailscope-Cursor"]
    assert pl.read_parquet(io.BytesIO(first.content)).height == 9
    client.post("/api/import/events?format=csv", headers=admin, content=(
        "event_id,type,occurred_at,message_id\ne10,click,2026-03-09T10:00:00Z,m4\n"))
    second = client.get(f"/api/export/events.csv?since={cursor}", headers=admin)
    assert second.text.splitlines()[1:] == [
        f"e10,click,2026-03-09T10:00:00.000000Z,m4,c2,u1,,,false,,{int(cursor) + 1}"]
    assert second.headers["X-Mailscope-Cursor"] == str(int(cursor) + 1)
    assert client.get("/api/export/customers.csv?since=0",
                      headers=admin).status_code == 400
    assert client.get("/api/export/events.csv?since=yesterday",
                      headers=admin).status_code == 400
