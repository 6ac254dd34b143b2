"""The campaign page's optimisation panel: variant allocation and subject-line scores."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, insert, text
from starlette.testclient import TestClient

from server.db.models import Campaign
from tests.server.send_time_world import seed_send_times
from tests.server.web.conftest import log_in

HX = {"HX-Request": "true"}


def _campaign(engine: Engine) -> None:
    seed_send_times(engine)
    with engine.begin() as connection:
        connection.execute(insert(Campaign), [
            {"campaign_id": "k3", "name": "Spring",
             "send_at": datetime(2026, 1, 8, 13, tzinfo=UTC)}])
        connection.execute(text("UPDATE message SET variant_id = CASE WHEN customer_id = "
                                "'s3' THEN 'B' ELSE 'A' END WHERE campaign_id = 'k3'"))


def test_panel_allocates_variants_and_scores_subjects(client: TestClient, engine: Engine,
                                                      viewer_key: str) -> None:
    _campaign(engine)
    log_in(client, viewer_key)

    page = client.get("/campaigns/k3").text
    panel = client.get("/campaigns/k3/optimisation", headers=HX)
    scored = client.get("/campaigns/k3/optimisation",
                        params={"subjects": "Spring is here\n{{first_name}}, spring?\n"},
                        headers=HX).text

    assert 'hx-get="/campaigns/k3/optimisation" hx-trigger="load"' in page
    assert panel.status_code == 200
    assert panel.text.startswith('<section class="card" id="optimisation">')
    assert '<table class="data" id="variant-allocation">' in panel.text
    assert "<td>A</td><td>4</td><td>2</td>" in panel.text
    assert '<table class="data" id="subject-scores">' not in panel.text
    assert '<table class="data" id="subject-scores">' in scored
    assert "<tr><td>1</td><td>{{first_name}}, spring?</td>" in scored
    assert "3 recipients" in scored


def test_panel_of_a_campaign_without_sends_says_so(client: TestClient, engine: Engine,
                                                   viewer_key: str) -> None:
    with engine.begin() as connection:
        connection.execute(insert(Campaign), [{"campaign_id": "new", "name": "Draft"}])
    log_in(client, viewer_key)

    panel = client.get("/campaigns/new/optimisation", headers=HX).text

    assert "campaign &#39;new&#39; has no delivered sends yet" in panel


def test_panel_shows_the_optimisation_report(client: TestClient, engine: Engine,
                                             viewer_key: str) -> None:
    from server.runners import send_time

    _campaign(engine)
    log_in(client, viewer_key)
    params = {"subjects": "Spring is here\n"}
    before = client.get("/campaigns/k3/optimisation", params=params, headers=HX).text
    send_time.compute_send_times(engine)

    after = client.get("/campaigns/k3/optimisation", params=params, headers=HX).text

    assert "has no recipients with a send time; compute send times first" in before
    assert '<table class="data" id="recommendations">' in after
    assert "<tr><td>Send time</td><td>13:00 UTC</td><td>13:00 UTC</td>" in after
    assert "<td>Personalisation</td><td>first name in the subject</td>" in after
