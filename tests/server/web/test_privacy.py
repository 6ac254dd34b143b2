"""The privacy card on a customer's page: admins download a customer's data or erase
them (CSRF, typed confirmation); other keys see no card and are refused."""

from __future__ import annotations

from sqlalchemy import Engine, text
from starlette.testclient import TestClient

from tests.server.web.conftest import log_in
from tests.worlds import dashboard


def _customers(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM customer")).scalar_one())


def test_an_admin_downloads_and_erases_a_customer(client: TestClient, db: Engine,
                                                  admin_key: str) -> None:
    dashboard.load_world(db)
    token = log_in(client, admin_key)
    page = client.get("/customers/u7")
    assert page.context["can_erase"] is True
    assert '<form method="post" action="/customers/u7/erase">' in page.text
    download = client.get("/customers/u7/export")
    assert download.status_code == 200
    assert download.headers["content-disposition"] == (
        'attachment; filename="customer-export.json"')
    assert download.json()["tables"]["customer"][0]["email"] == "gus@outlook.com"
    unconfirmed = client.post("/customers/u7/erase", data={"csrf_token": token,
                                                           "confirm": "u8"})
    assert unconfirmed.status_code == 422 and "nothing was erased" in unconfirmed.text
    forged = client.post("/customers/u7/erase", data={"csrf_token": "forged",
                                                      "confirm": "u7"})
    assert forged.status_code == 403
    assert _customers(db) == 8
    done = client.post("/customers/u7/erase", data={"csrf_token": token, "confirm": "u7"})
    assert done.status_code == 200 and done.template == "customer_erased.html"
    assert done.context["erased"] == {
        "__typename": "CustomerErased", "id": "u7", "rows": 7, "campaigns": ["c2"],
        "tables": {"email_event": 3, "customer_profile": 1, "orders": 1, "message": 1,
                   "customer": 1}}
    assert _customers(db) == 7
    again = client.post("/customers/u7/erase", data={"csrf_token": token, "confirm": "u7"})
    assert again.status_code == 409 and "was already erased" in again.text
    assert client.get("/customers/u7/export").status_code == 404


def test_other_keys_see_no_privacy_card_and_are_refused(client: TestClient, db: Engine,
                                                        viewer_key: str) -> None:
    dashboard.load_world(db)
    token = log_in(client, viewer_key)
    page = client.get("/customers/u7")
    assert page.context["can_erase"] is False and 'id="privacy"' not in page.text
    assert client.get("/customers/u7/export").status_code == 403
    refused = client.post("/customers/u7/erase", data={"csrf_token": token, "confirm": "u7"})
    assert refused.status_code == 403 and "needs the admin role" in refused.text
    assert _customers(db) == 8
