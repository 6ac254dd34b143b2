"""The send-time section of the predictions page and its recompute button."""

from __future__ import annotations

from sqlalchemy import Engine
from starlette.testclient import TestClient

from jobs.broker import broker
from server.runners import send_time
from tests.server.send_time_world import seed_send_times
from tests.server.web.conftest import log_in

HX = {"HX-Request": "true"}


def test_page_shows_send_times_and_the_customers_hour(client: TestClient, engine: Engine,
                                                      admin_key: str) -> None:
    log_in(client, admin_key)
    before = client.get("/predictions").text
    seed_send_times(engine)
    send_time.compute_send_times(engine)

    page = client.get("/predictions").text
    customer = client.get("/predictions/customers/s3").text

    assert "No send times yet" in before
    assert "5 customers, computed" in page
    assert "3 from customer, 1 from segment, 1 from global" in page
    assert "Share of customers by best local send hour" in page
    assert "best 21:00 Europe/Berlin, Monday" in customer
    assert "from customer" in customer


def test_recompute_button_queues_a_job_and_viewers_cannot(client: TestClient, engine: Engine,
                                                          admin_key: str,
                                                          viewer_key: str) -> None:
    broker.flush_all()
    token = log_in(client, admin_key)

    response = client.post("/predictions/send-times", data={"csrf_token": token}, headers=HX)

    assert response.status_code == 200
    assert 'hx-trigger="every 1s"' in response.text
    assert "Compute send times" in response.text
    broker.flush_all()
    viewer_token = log_in(client, viewer_key)
    refused = client.post("/predictions/send-times", data={"csrf_token": viewer_token})
    assert refused.status_code == 403
    assert "Computing send times needs the analyst or admin role" in refused.text
