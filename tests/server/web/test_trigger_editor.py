"""The trigger editor: filled in from the stored trigger, saved as the next version,
refusals shown next to their field with the form as typed, CSRF and roles."""

from __future__ import annotations

import json

from sqlalchemy import Engine
from starlette.testclient import TestClient

from server.runners import triggers
from server.web.trigger_editor import definition_of, form_of
from tests.server.web.conftest import log_in, make_key

FULL = {"sequence": {"first": "cart_add", "then": "checkout", "absent": True, "within": "2h",
                     "key": "cart_id", "hours": [9, 20], "days": ["mon", "tue"]},
        "profile": "purchases >= 1", "exit": ["order"], "reentry": "30d",
        "actions": [{"type": "add_to_segment", "segment": "carts"},
                    {"type": "follow_up", "after": "1d"},
                    {"type": "set_attribute", "name": "reminder", "value": "sent"}]}


def posted(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "name": "Carts", "first": "cart_add", "then": "checkout", "absent": "absent",
        "within": "2h", "key": "cart_id", "hours_from": "", "hours_to": "", "profile": "",
        "reentry": "", "segments": "", "follow_up": "", "attribute_name": "",
        "attribute_value": "", "webhook_url": "", "cooldown": "1d", "max_firings": "3",
        "priority": "0", "exit": ["order"], "enabled": "on"}
    return {**base, **changes}


def test_the_form_round_trips_every_part_of_a_definition(engine: Engine) -> None:
    trigger = {"name": "Carts", "definition": json.dumps(FULL), "webhookUrl": None,
               "cooldownSeconds": 5400, "maxFirings": None, "priority": 2, "enabled": False}
    form = form_of(trigger)
    assert (form["cooldown"], form["max_firings"], form["hours_from"], form["days"],
            form["segments"], form["follow_up"], form["enabled"]) == (
        "90m", "", "9", ["mon", "tue"], "carts", "1d", False)
    errors: dict[str, str] = {}
    assert definition_of(form, errors) == FULL and errors == {}
    # Every day ticked is no weekday rule; half a window or a word is named.
    assert "days" not in definition_of({**form, "days": ["mon", "tue", "wed", "thu", "fri",
                                                         "sat", "sun"]}, {})["sequence"]
    definition_of({**form, "hours_to": ""}, errors)
    assert errors == {"hours": "give both hours of the window, or neither"}
    errors.clear()
    definition_of({**form, "hours_from": "nine"}, errors)
    assert errors == {"hours": "'nine' is not a whole number"}


def test_edit_saves_a_version_and_refusals_sit_by_their_field(client: TestClient,
                                                              engine: Engine,
                                                              admin_key: str) -> None:
    trigger_id = triggers.create_trigger(engine, name="Carts",
                                         template="cart_abandonment").trigger.id
    token = log_in(client, admin_key)
    page = client.get(f"/triggers/{trigger_id}/edit")
    assert page.template == "trigger_edit.html"  # type: ignore[attr-defined]
    context = page.context  # type: ignore[attr-defined]
    assert context["form"]["cooldown"] == "1d" and context["form"]["exit"] == ["order"]
    assert "segment_entered" in context["event_types"] and context["errors"] == {}

    bad = client.post(f"/triggers/{trigger_id}/edit", data={
        "csrf_token": token, **posted(within="soon", max_firings="many")})
    assert bad.status_code == 422
    assert bad.context["errors"] == {  # type: ignore[attr-defined]
        "max_firings": "'many' is not a whole number"}
    bad = client.post(f"/triggers/{trigger_id}/edit", data={"csrf_token": token,
                                                            **posted(within="soon")})
    assert bad.context["errors"] == {"within": (  # type: ignore[attr-defined]
        "sequence.within: 'soon' is not a positive span: write a whole number and a unit "
        "(s, m, h or d), such as 2h")}
    assert bad.context["form"]["within"] == "soon"  # type: ignore[attr-defined]
    assert 'id="error-within"' in bad.text
    bad = client.post(f"/triggers/{trigger_id}/edit", data={
        "csrf_token": token, **posted(profile="purchses >= 1")})
    assert list(bad.context["errors"]) == ["profile"]  # type: ignore[attr-defined]
    bad = client.post(f"/triggers/{trigger_id}/edit", data={"csrf_token": token,
                                                            **posted(cooldown="soon")})
    assert list(bad.context["errors"]) == ["cooldown"]  # type: ignore[attr-defined]
    row = triggers.get_trigger(engine, trigger_id or 0)
    assert row is not None and row.version == 1

    saved = client.post(f"/triggers/{trigger_id}/edit", data={
        "csrf_token": token, **posted(hours_from="9", hours_to="20", days=["mon", "fri"],
                                      cooldown="6h", enabled="")}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == f"/triggers/{trigger_id}"
    row = triggers.get_trigger(engine, trigger_id or 0)
    assert row is not None
    assert (row.version, row.cooldown_seconds, row.enabled) == (2, 21_600, False)
    assert json.loads(row.definition)["sequence"]["days"] == ["mon", "fri"]
    shown = client.get(f"/triggers/{trigger_id}")
    versions = shown.context["trigger"]["versions"]  # type: ignore[attr-defined]
    assert [v["version"] for v in versions] == [2, 1]
    assert '<span id="trigger-cooldown">6h</span>' in shown.text

    expired = client.post(f"/triggers/{trigger_id}/edit", data=posted())
    assert expired.status_code == 403
    assert client.get("/triggers/99/edit").status_code == 404
    assert client.post("/triggers/99/edit", data={"csrf_token": token,
                                                  **posted()}).status_code == 404


def test_viewers_may_not_edit(client: TestClient, engine: Engine) -> None:
    trigger_id = triggers.create_trigger(engine, name="Carts",
                                         template="cart_abandonment").trigger.id
    token = log_in(client, make_key(engine, "viewer"))
    page = client.get(f"/triggers/{trigger_id}/edit")
    assert page.status_code == 403 and "needs the analyst or admin role" in page.text
    refused = client.post(f"/triggers/{trigger_id}/edit", data={"csrf_token": token,
                                                                **posted()})
    assert refused.status_code == 403
    row = triggers.get_trigger(engine, trigger_id or 0)
    assert row is not None and row.version == 1
