"""The budget pages: the overview, the curves and scenarios, the editor, plans and alerts,
and the forms' CSRF and role checks."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from analytics.budget import Thresholds
from server.runners import budget as runner
from tests.server.runners.budget_world import load_budget_world
from tests.server.web.conftest import csrf_from, log_in

HX = {"HX-Request": "true"}
SPLIT = {"model": "", "objective": "revenue", "total": "", "min_share": "5",
         "max_share": "80"}


@pytest.fixture
def world(engine: Engine) -> Engine:
    return load_budget_world(engine)


def _rows(html: str, table_id: str) -> list[list[str]]:
    body = html.split(f'id="{table_id}"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [[re.sub(r"<[^>]+>", "", cell).strip()
             for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


def test_overview_page_and_fragment(client: TestClient, world: Engine, admin_key: str) -> None:
    log_in(client, admin_key)
    page = client.get("/budget", params=SPLIT)
    assert page.status_code == 200 and page.text.startswith("<!doctype html>")
    assert 'aria-current="page">Budget' in page.text
    assert _rows(page.text, "budget-categories")[1][:4] == [
        "search", "1,520.00 USD", "7,784.03 USD", "412%"]
    allocation = _rows(page.text, "allocation-table")
    assert [row[0] for row in allocation] == ["content", "search", "social"]
    spent = sum(Decimal(row[2].replace(",", "")) for row in allocation)
    # the current monthly spend (236.67), reallocated in full; cells are rounded to cents
    assert abs(spent - Decimal("236.67")) <= Decimal("0.02")
    assert "Optimal: the next USD earns the same" in page.text
    assert page.text.count('class="chart curve"') == 3
    assert "content: only 2 months of history" in page.text
    assert [row[0] for row in _rows(page.text, "scenario-table")][:2] == [
        "conservative", "aggressive growth"]
    # the latest six months of vendor spend, with the cost per email sent
    vendors = _rows(page.text, "vendor-table")
    assert [row[0] for row in vendors] == ["Search Co", "Social Co"]
    # March-August; 4 sends over 8 months is half a send a month: cost per email = 2 x spend
    assert [cell.replace("\n", "").replace(" ", "") for cell in vendors[0][1:]] == [
        f"{s:.2f}{2 * s:.2f}/email" for s in (150, 300, 250, 120, 180, 220)]
    fragment = client.get("/budget", params=SPLIT, headers=HX)
    assert not fragment.text.startswith("<!doctype") and 'id="report"' in fragment.text


def test_editor_carries_the_curves_for_the_sliders(client: TestClient, world: Engine,
                                                   admin_key: str) -> None:
    log_in(client, admin_key)
    page = client.get("/budget", params=SPLIT).text
    raw = re.search(r'data-curves="([^"]+)"', page).group(1).replace("&#34;", '"')
    curves = json.loads(raw)
    assert [c["category"] for c in curves] == ["content", "search", "social"]
    assert {"top", "half", "shape", "value", "max"} <= set(curves[0])
    assert page.count('class="slider"') == 3
    assert '<script src="/static/budget.js"></script>' in page
    assert client.get("/static/budget.js").status_code == 200


def test_infeasible_settings_show_the_constraint(client: TestClient, world: Engine,
                                                 admin_key: str) -> None:
    log_in(client, admin_key)
    page = client.get("/budget", params={**SPLIT, "max_share": "30"})
    assert page.status_code == 200
    assert re.search(r'id="infeasible">[^<]*could not be spent', page.text)


def test_bad_settings_name_the_field(client: TestClient, world: Engine, admin_key: str) -> None:
    log_in(client, admin_key)
    page = client.get("/budget", params={**SPLIT, "total": "lots"})
    assert page.status_code == 400
    assert "Monthly budget: &#39;lots&#39; is not an amount" in page.text


def test_save_plan_from_the_editor(client: TestClient, world: Engine, admin_key: str) -> None:
    token = log_in(client, admin_key)
    response = client.post("/budget/plan", data={
        "csrf_token": token, "month": "2026-04-01", "category": ["search", "social"],
        "amount": ["200", "100"]}, follow_redirects=False)
    assert response.status_code == 303
    assert [(p.category, p.allocated) for p in runner.list_plans(world)] == [
        ("search", Decimal("200.0000")), ("social", Decimal("100.0000"))]
    refused = client.post("/budget/plan", data={"month": "2026-04-01", "category": "x",
                                                "amount": "1"})
    assert refused.status_code == 403


def test_alerts_page_acknowledge_and_check(client: TestClient, world: Engine,
                                           admin_key: str) -> None:
    runner.save_plans(world, date(2026, 3, 1), {"search": Decimal(100)}, "USD", "ana")
    runner.raise_alerts(world, today=date(2026, 3, 10), currency="USD",
                        thresholds=Thresholds(low_roi_percent=-100.0))
    token = log_in(client, admin_key)
    page = client.get("/budget/alerts")
    rows = _rows(page.text, "alert-table")
    assert [row[1:3] for row in rows] == [["high burn rate", "search"]]
    alert_id = re.search(r'data-alert="(\d+)"', page.text).group(1)
    token = csrf_from(page.text)
    done = client.post(f"/budget/alerts/{alert_id}/acknowledge", data={"csrf_token": token},
                       follow_redirects=True)
    assert "No open alerts." in done.text
    everything = client.get("/budget/alerts", params={"all": "1"}).text
    assert "acknowledged by admin key" in everything
    missing = client.post("/budget/alerts/999/acknowledge", data={"csrf_token": token})
    assert missing.status_code == 404
    started = client.post("/budget/alerts/run", data={"csrf_token": token},
                          follow_redirects=False)
    assert started.status_code == 303 and "/budget/alerts?started=" in started.headers[
        "location"]


def test_viewers_see_but_cannot_change(client: TestClient, world: Engine,
                                       viewer_key: str) -> None:
    token = log_in(client, viewer_key)
    page = client.get("/budget", params=SPLIT)
    assert page.status_code == 200 and "Save plan" not in page.text
    refused = client.post("/budget/alerts/run", data={"csrf_token": token})
    assert refused.status_code == 403
    assert ("Changing the budget needs the analyst or admin role; your key has the "
            "&#39;viewer&#39; role. Ask an admin for an analyst key.") in refused.text
