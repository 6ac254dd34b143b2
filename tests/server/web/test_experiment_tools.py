"""The experiments index, the planner and the paste-numbers analyzer."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from tests.server.web.conftest import log_in, make_key
from tests.worlds.experiments import load_experiment_world

HX = {"HX-Request": "true"}


@pytest.fixture
def world(engine: Engine) -> Engine:
    return load_experiment_world(engine)


@pytest.fixture
def analyst(client: TestClient, world: Engine) -> str:
    """Signs the client in as an analyst; returns the CSRF token."""
    return log_in(client, make_key(world, "analyst"))


def test_index_lists_ab_campaigns(client: TestClient, analyst: str) -> None:
    index = client.get("/experiments")
    assert index.template == "experiments.html"
    assert [(row["id"], row["name"]) for row in index.context["campaigns"]] == [
        ("win", "Clear Winner"), ("srm", "Broken Split"), ("ab", "Spring Sale")]
    html = index.text
    links = re.findall(r'<a href="(/campaigns/[^"]+/experiment)">([^<]+)</a>', html)
    assert sorted(links) == [("/campaigns/ab/experiment", "Spring Sale"),
                             ("/campaigns/srm/experiment", "Broken Split"),
                             ("/campaigns/win/experiment", "Clear Winner")]


def test_planner_updates_as_a_fragment(client: TestClient, analyst: str) -> None:
    page = client.get("/experiments/plan")
    assert page.template == "experiment_plan.html"
    assert page.context["error"] is None
    assert page.context["values"] == {
        "metric": "rate", "baseline": "5", "effect": "10", "scale": "relative", "alpha": "0.05",
        "power": "0.8", "variants": "2", "daily_volume": "10000", "std": "",
        "current_control": "", "current_variant": ""}
    plan = page.context["plan"]
    assert (plan["perVariant"], plan["total"], plan["days"], plan["variants"]) == (
        31218, 62436, 7, 2)
    assert 'hx-get="/experiments/plan" hx-trigger="input changed delay:300ms, change"' in \
        page.text
    assert '<strong id="per-variant">31,218</strong>' in page.text
    fragment = client.get("/experiments/plan", headers=HX, params={
        "metric": "rate", "baseline": "5", "effect": "20", "scale": "relative",
        "alpha": "0.05", "power": "0.8", "variants": "3", "daily_volume": "5000",
        "current_control": "4000", "current_variant": "4000"})
    html = fragment.text
    assert html.startswith('<section class="card" id="plan-result" aria-live="polite">')
    assert re.findall(r'<strong id="(\w[\w-]*)">([\d,]+)</strong>', html) == [
        ("per-variant", "9,861"), ("total", "29,583"), ("days", "6")]
    assert "(Bonferroni across 2 comparisons)" in html
    assert '<p id="current-power">' in html
    bad = client.get("/experiments/plan", headers=HX, params={"baseline": "0", "effect": "10"})
    assert re.findall(r'id="plan-error">(.*?)</p>', bad.text) == [
        "baseline=0.0 is out of range: use a rate strictly between 0 and 1, such as 0.05"]
    typo = client.get("/experiments/plan", headers=HX, params={"effect": "ten"})
    assert re.findall(r'id="plan-error">(.*?)</p>', typo.text) == [
        "Minimum effect: &#39;ten&#39; is not a number"]


def test_analyzer(client: TestClient, analyst: str) -> None:
    empty = client.get("/experiments/analyze")
    assert empty.template == "experiment_analyze.html"
    assert empty.context == {"error": None, "form": {}, "result": None, "view": None}
    page = empty.text
    assert '<form class="card grid-form" id="analyze-form" method="post"' in page
    result = client.post("/experiments/analyze", headers=HX, data={
        "csrf_token": analyst, "metric_type": "PROPORTION", "method": "SEQUENTIAL",
        "correction": "HOLM", "alpha": "0.05",
        "looks": "1, A, 500, 0\n1, B, 500, 0\n2, A, 5000, 250\n2, B, 5000, 290\n"
                 "3, A, 10000, 500\n3, B, 10000, 660"})
    html = result.text
    assert result.status_code == 200
    assert html.startswith('<div id="analysis">')
    assert '<span class="badge verdict-winner">Winner</span>' in html
    assert "It fired at look 3." in html
    assert 'id="peeking-warning"' in html
    assert "Always-valid p-value, &#39;B&#39; vs control" in html
    parse = client.post("/experiments/analyze", headers=HX, data={
        "csrf_token": analyst, "variants": "A, 100, 5\nB, 100"})
    assert parse.status_code == 422
    assert re.findall(r'id="analyze-error">(.*?)</p>', parse.text) == [
        "Variants line 2: expected 3 comma-separated values, got 2 (B, 100)"]
    engine = client.post("/experiments/analyze", headers=HX, data={
        "csrf_token": analyst, "variants": "A, 100, 5\nB, 100, 500"})
    assert re.findall(r'id="analyze-error">(.*?)</p>', engine.text) == [
        "variants[1].conversions: variants[1].conversions=500 exceeds n=100 for variant "
        "&#39;B&#39;: conversions must be between 0 and n"]
