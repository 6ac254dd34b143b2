"""The OpenAPI document: checked in, served, naming every REST route, and documenting the
middleware's 413 and 429 wherever the app answers them."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import Engine
from starlette.routing import Route
from starlette.testclient import TestClient

from server.api.openapi import OPENAPI_PATH, openapi_document, openapi_text, rate_limited
from server.app import create_app
from server.runners.report_tables import REPORTS
from server.settings import Settings, configure
from tests.server.web.conftest import make_key


def test_the_checked_in_document_is_current() -> None:
    assert OPENAPI_PATH.read_text() == openapi_text(), (
        "server/api/openapi.json is stale: run `mailscope schema openapi` and commit it")


def test_every_rest_route_is_documented_with_its_methods(settings: Settings) -> None:
    app = create_app(settings)
    routes = {(route.path, method.lower()) for route in app.routes
              if isinstance(route, Route) and route.path.startswith(("/api/", "/webhooks/"))
              for method in (route.methods or ()) if method != "HEAD"}
    documented = {(path, method) for path, item in openapi_document()["paths"].items()
                  for method in item}
    assert routes == documented


def test_operations_declare_responses_and_path_parameters() -> None:
    for path, item in openapi_document()["paths"].items():
        for operation in item.values():
            assert "200" in operation["responses"], path
            named = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert named == {part[1:-1] for part in path.replace(".", "/").split("/")
                             if part.startswith("{")}, path


def test_the_document_lists_the_live_choices() -> None:
    paths = openapi_document()["paths"]
    kinds = paths["/api/import/{kind}"]["post"]["parameters"][0]["schema"]["enum"]
    assert kinds[0] == "customers" and "events" in kinds
    formats = paths["/api/export/{dataset}.{format}"]["get"]["parameters"][1]["schema"]
    assert formats["enum"] == ["csv", "parquet", "arrow"]
    providers = paths["/webhooks/{provider}"]["post"]["parameters"][0]["schema"]["enum"]
    assert providers == ["sendgrid", "mailgun", "postmark"]
    assert paths["/webhooks/{provider}"]["post"]["security"] == []


def test_it_is_served_to_signed_in_callers(settings: Settings, engine: Engine) -> None:
    client = TestClient(create_app(settings))
    assert client.get("/api/openapi.json").status_code == 401
    served = client.get("/api/openapi.json",
                        headers={"Authorization": f"Bearer {make_key(engine, 'viewer')}"})
    assert served.status_code == 200
    assert served.json() == json.loads(openapi_text())


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, operation) for path, item in openapi_document()["paths"].items()
            for method, operation in item.items()]


def _resolved(response: dict[str, Any]) -> dict[str, Any]:
    name = response["$ref"].removeprefix("#/components/responses/")
    resolved: dict[str, Any] = openapi_document()["components"]["responses"][name]
    return resolved


def test_every_operation_documents_413_and_429_where_they_occur() -> None:
    for path, method, operation in _operations():
        responses = operation["responses"]
        too_large = _resolved(responses["413"])
        setting = ("MAILSCOPE_MAX_UPLOAD_BYTES" if path.startswith(("/api/import/", "/webhooks/"))
                   else "MAILSCOPE_MAX_BODY_BYTES")
        assert setting in too_large["description"], (path, method)
        if path.startswith("/webhooks/"):
            # Provider webhooks are not rate limited (they prove themselves by signature).
            assert "429" not in responses and not rate_limited(path)
            continue
        limited = _resolved(responses["429"])
        assert set(limited["headers"]) == {"Retry-After"}, (path, method)
        assert limited["content"]["application/json"]["schema"]["$ref"] \
            == "#/components/schemas/RateLimited"
    assert [path for path, _, _ in _operations() if rate_limited(path)] == [
        "/api/import/{kind}", "/api/export/{dataset}.{format}",
        "/api/export/report/{report}.{format}", "/api/openapi.json"]


PATH_VALUES = {"kind": "customers", "dataset": "customers", "format": "csv",
               "report": REPORTS[0], "provider": "sendgrid", "token": "t"}


def _concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda found: PATH_VALUES[found.group(1)], path)


def test_the_app_answers_the_documented_413_and_429(settings: Settings,
                                                     engine: Engine) -> None:
    limited = configure(**(settings.model_dump() | {
        "max_body_bytes": 1024, "max_upload_bytes": 1024,
        "rate_limit_per_second": 0.001, "rate_limit_burst": 1}))
    key = make_key(engine, "admin")
    for path, method, operation in _operations():
        # A fresh app per operation: a fresh bucket, so its first request is let through.
        client = TestClient(create_app(limited), raise_server_exceptions=False)
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "text/csv"}
        url = _concrete(path)
        too_large = client.request(method, url, content=b"x" * 2048, headers=headers)
        assert too_large.status_code == 413, (path, too_large.text[:200])
        assert "error" in too_large.json(), path
        # Burst 1: the second request past the body limit finds the bucket empty.
        second = [client.request(method, url, headers=headers) for _ in range(2)][-1]
        if "429" in operation["responses"]:
            assert second.status_code == 429, (path, second.text[:200])
            assert int(second.headers["Retry-After"]) >= 1
            assert set(second.json()) == {"error", "limit", "detail", "retry_after"}
        else:
            assert second.status_code != 429, path
