"""The campaign experiment page: whole page vs htmx fragment, the warning banner, the
analyst forms (CSRF and roles)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from server.db.models import Experiment
from tests.server.web.conftest import log_in, make_key
from tests.worlds.experiments import load_experiment_world

HX = {"HX-Request": "true"}
BANNER = '<div class="banner danger" role="alert" id="experiment-warnings">'


@pytest.fixture
def world(engine: Engine) -> Engine:
    return load_experiment_world(engine)


@pytest.fixture
def analyst(client: TestClient, world: Engine) -> str:
    """Signs the client in as an analyst; returns the CSRF token."""
    return log_in(client, make_key(world, "analyst"))


def flash(html: str) -> list[str]:
    return re.findall(r'<p class="flash" role="status">(.*?)</p>', html)


def form_error(html: str) -> list[str]:
    return re.findall(r'<p class="alert" role="alert" id="form-error">(.*?)</p>', html)


def test_page_and_fragment(client: TestClient, analyst: str) -> None:
    page = client.get("/campaigns/ab/experiment")
    assert page.status_code == 200
    assert page.template == "experiment.html"
    assert (page.context["can_edit"], page.context["flash"], page.context["error"]) == (
        True, None, None)
    assert page.context["warnings"] == []
    assert page.text.startswith("<!doctype html>")
    assert '<a href="/experiments" >Experiments</a>' in page.text
    fragment = client.get("/campaigns/ab/experiment", headers=HX)
    assert fragment.text.startswith('<div id="experiment" hx-target="this" hx-swap="outerHTML">')
    assert fragment.text in page.text
    html = fragment.text
    assert BANNER not in html
    assert '<span class="badge verdict-no_difference">No difference</span>' in html
    assert ('<svg class="chart" role="img" aria-label="Relative lift by metric and variant, '
            'Spring Sale"') in html
    assert html.count('<g class="forest-row">') == 7
    assert "click-to-open rate · B" in html
    assert ('aria-label="Always-valid interval of the difference, &#39;B&#39; vs control"'
            in html)
    assert 'aria-label="Always-valid p-value, &#39;B&#39; vs control"' in html
    # The naive re-test appears only as the explained warning.
    assert '<aside class="card warning" id="peeking-warning">' in html
    assert "the verdict above never uses it" in html
    cells = re.findall(r"<td[^>]*>(.*?)</td>", html.split('id="variants"')[1].split("</table>")[0])
    assert cells[:11] == ["A", "Spring is here", "0.5", "5", "5", "2", "1", "1", "1", "0",
                          "40.00"]


def test_srm_banner_comes_first(client: TestClient, analyst: str) -> None:
    html = client.get("/campaigns/srm/experiment", headers=HX).text
    assert html.index(BANNER) < html.index('id="verdict"')
    assert ("Sample ratio mismatch: the variants received 4 / 4 delivered sends but the plan "
            "was 95% / 5% (p = 5.2e-09).") in html
    assert '<span class="badge verdict-srm_invalid">Invalid: sample ratio mismatch</span>' in html


def test_not_an_experiment_and_missing(client: TestClient, analyst: str) -> None:
    html = client.get("/campaigns/solo/experiment", headers=HX).text
    assert '<p class="empty" id="problem">This campaign is not an A/B test' in html
    assert 'id="declare"' not in html
    missing = client.get("/campaigns/nope/experiment")
    assert missing.status_code == 404
    assert "There is no campaign with id &#39;nope&#39;" in missing.text


def test_viewer_sees_results_but_no_forms(client: TestClient, world: Engine) -> None:
    token = log_in(client, make_key(world, "viewer"))
    page = client.get("/campaigns/ab/experiment")
    assert page.context["can_edit"] is False
    html = page.text
    assert 'id="verdict"' in html
    assert 'id="settings"' not in html and 'id="declare"' not in html
    refused = client.post("/campaigns/ab/experiment/settings", data={"csrf_token": token},
                          headers=HX)
    assert refused.status_code == 403
    assert "needs the analyst or admin role; your key has the &#39;viewer&#39; role" in \
        refused.text
    analyzer = client.get("/experiments/analyze").text
    assert 'id="analyze-form"' not in analyzer
    refused = client.post("/experiments/analyze", data={"csrf_token": token}, headers=HX)
    assert refused.status_code == 403


def test_forms_need_the_csrf_token(client: TestClient, analyst: str, world: Engine) -> None:
    for path in ("/campaigns/ab/experiment/settings", "/campaigns/win/experiment/winner",
                 "/experiments/analyze"):
        response = client.post(path, data={"variant": "B"}, headers=HX)
        assert response.status_code == 403, path
        assert "The request carried no security token" in response.text
        wrong = client.post(path, data={"variant": "B"}, headers={**HX, "X-CSRF-Token": "x"})
        assert wrong.status_code == 403
    with Session(world) as session:
        assert session.exec(select(Experiment)).all() == []


def test_save_settings(client: TestClient, analyst: str, world: Engine) -> None:
    html = client.get("/campaigns/ab/experiment", headers=HX).text
    assert '<form method="post" action="/campaigns/ab/experiment/settings"' in html
    assert 'name="csrf_token" value="' + analyst + '"' in html
    bad = client.post("/campaigns/ab/experiment/settings", headers=HX, data={
        "csrf_token": analyst, "webhook_url": "javascript:alert(1)"})
    assert bad.status_code == 422
    assert form_error(bad.text) == ["webhookUrl is not an http(s) URL: give an address such "
                                    "as https://example.com/hook"]
    saved = client.post("/campaigns/ab/experiment/settings", headers=HX, data={
        "csrf_token": analyst, "primary_metric": "OPEN_RATE", "method": "SEQUENTIAL",
        "alpha": "0.1", "correction": "BH", "minimum_effect": "2", "effect_scale": "RELATIVE",
        "guardrails": ["COMPLAINT_RATE"], "weight:A": "1", "weight:B": "1",
        "horizon_days": "10", "webhook_url": "https://hooks.example.com/win"})
    assert saved.status_code == 200
    assert flash(saved.text) == ["Experiment settings saved."]
    assert "Primary metric: open rate" in saved.text
    with Session(world) as session:
        row = session.exec(select(Experiment)).one()
        assert (row.primary_metric, row.method, row.alpha, row.correction, row.minimum_effect,
                row.guardrails, row.planned_weights, row.horizon_days, row.webhook_url) == (
            "open_rate", "sequential", 0.1, "bh", 0.02, '["complaint_rate"]',
            '{"A": 1.0, "B": 1.0}', 10, "https://hooks.example.com/win")
    not_a_number = client.post("/campaigns/ab/experiment/settings", headers=HX,
                               data={"csrf_token": analyst, "alpha": "five"})
    assert form_error(not_a_number.text) == ["alpha: &#39;five&#39; is not a number"]


def test_declare_winner(client: TestClient, analyst: str, world: Engine) -> None:
    refused = client.post("/campaigns/ab/experiment/winner", headers=HX,
                          data={"csrf_token": analyst, "variant": "B"})
    assert refused.status_code == 409
    assert form_error(refused.text)[0].startswith("&#39;B&#39; is not supported as the winner")
    html = client.get("/campaigns/win/experiment", headers=HX).text
    assert '<option value="B" selected>B</option>' in html
    declared = client.post("/campaigns/win/experiment/winner", headers=HX,
                           data={"csrf_token": analyst, "variant": "B"})
    assert declared.status_code == 200
    assert flash(declared.text) == ["Winner &#39;B&#39; declared."]
    assert "<h2>Winner declared: 'B'</h2>" in declared.text
    assert 'id="declare"' not in declared.text
    forced = client.post("/campaigns/srm/experiment/winner", headers=HX,
                         data={"csrf_token": analyst, "variant": "A", "force": "on",
                               "reason": "Known ESP bug"})
    assert flash(forced.text) == ["Winner &#39;A&#39; declared."]
    assert "<strong>overriding the verdict</strong>: Known ESP bug" in forced.text
