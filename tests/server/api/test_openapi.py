"""The OpenAPI document: checked in, served, and naming every REST route."""

from __future__ import annotations

import json

from sqlalchemy import Engine
from starlette.routing import Route
from starlette.testclient import TestClient

from server.api.openapi import OPENAPI_PATH, openapi_document, openapi_text
from server.app import create_app
from server.settings import Settings
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
