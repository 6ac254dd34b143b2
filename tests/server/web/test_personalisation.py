"""Personalisation pages: the editor's lint and three-customer preview fragment, saving
(refused with the lint error, then saved), linking a template to campaigns and deleting it
(confirmation step, CSRF), the rules list with paging, create, edit and enable, and what a
viewer may not do."""

from __future__ import annotations

from sqlalchemy import Engine
from starlette.testclient import TestClient

from server.runners import personalisation as runner
from tests.server.web.conftest import log_in, make_key
from tests.worlds.personalisation import load_shop

HTMX = {"HX-Request": "true"}


def test_editor_lints_previews_and_saves(client: TestClient, engine: Engine) -> None:
    load_shop(engine)
    token = log_in(client, make_key(engine, "analyst"))
    page = client.get("/personalisation")
    assert page.template == "personalisation.html"
    assert page.context["check"] is None and page.context["can_edit"] is True
    assert 'hx-get="/personalisation/check"' in page.text
    assert any(t["token"] == "customer.first_name" and t["emptyShare"] == 0.25
               for t in page.context["tokens"])

    typo = client.get("/personalisation/check", params={
        "source": "Hi {{ first_nme }}", "kind": "subject"}, headers=HTMX)
    assert [(m["code"], m["line"], m["column"]) for m in typo.context["check"]["lint"]] == [
        ("unknown-token", 1, 7)]
    assert "line 1, column 7: unknown token first_nme" in typo.text
    assert "<html" not in typo.text  # only the fragment

    fixed = client.get("/personalisation/check", params={
        "source": "Hi {{ first_name | default('there') }}", "kind": "subject"},
        headers=HTMX)
    check = fixed.context["check"]
    assert check["lint"] == [] and 'id="lint-clean"' in fixed.text
    assert [(c["customerId"], c["rendered"]["text"]) for c in check["customers"]] == [
        ("u3", "Hi Cy"), ("u2", "Hi Bo"), ("u4", "Hi there")]
    assert fixed.text.count('class="card preview-customer"') == 3

    body = client.get("/personalisation/check", params={
        "source": "<b>{{ first_name }}</b>", "kind": "body", "customers": "u1"}, headers=HTMX)
    assert body.context["check"]["kind"] == "BODY"
    assert ('<iframe class="rendered-frame" sandbox="" title="Body for u1" '
            'srcdoc="&lt;b&gt;Ana&lt;/b&gt;"') in body.text

    chosen = client.get("/personalisation/check", params={
        "source": "{{ rules.offer | default('-') }}", "customers": "u1, nobody"})
    assert chosen.template == "personalisation.html"  # opened directly: whole page
    assert chosen.context["check"]["problem"] == "customerIds: no customer has id 'nobody'"
    assert client.get("/personalisation/check").context["check"] is None

    refused = client.post("/personalisation/templates", data={
        "csrf_token": token, "name": "Hello", "kind": "subject", "source": "Hi {{ x }"})
    assert refused.status_code == 422
    assert refused.context["error"] == "line 1, column 9: unexpected '}'"
    saved = client.post("/personalisation/templates", data={
        "csrf_token": token, "name": "Hello", "kind": "subject",
        "source": "Hi {{ first_name }}"}, follow_redirects=False)
    assert saved.status_code == 303
    template = runner.find_template(engine, "Hello")
    assert saved.headers["location"] == f"/personalisation?template={template.id}&saved=1"
    editing = client.get(saved.headers["location"])
    assert editing.context["form"] == {"id": str(template.id), "name": "Hello",
                                       "kind": "subject", "source": "Hi {{ first_name }}"}
    listed = client.get("/personalisation", params={"search": "nothing like it"})
    assert listed.context["templates"] == [] and "No template matches" in listed.text
    assert [t["name"] for t in client.get("/personalisation").context["templates"]] == [
        "Hello"]
    updated = client.post("/personalisation/templates", data={
        "csrf_token": token, "id": str(template.id), "name": "Hello",
        "source": "Hey {{ first_name | default('you') }}"}, follow_redirects=False)
    assert updated.status_code == 303
    assert runner.find_template(engine, "Hello").version == 2
    expired = client.post("/personalisation/templates", data={"csrf_token": "nope"})
    assert expired.status_code == 403


def test_rules_list_create_edit_and_enable(client: TestClient, engine: Engine) -> None:
    load_shop(engine)
    token = log_in(client, make_key(engine, "analyst"))
    page = client.get("/personalisation/rules")
    assert page.template == "personalisation_rules.html"
    assert [r["name"] for r in page.context["rules"]] == [
        "Big spenders", "Any buyer", "Morning"]
    assert page.context["total"] == 3 and page.context["next"] is None

    refused = client.post("/personalisation/rules", data={
        "csrf_token": token, "name": "Tone", "condition": "engagement_level = 'high'",
        "key": "tone", "value": "Warm", "priority": "1", "enabled": "on"})
    assert refused.status_code == 422
    assert refused.context["error"].startswith("condition: unexpected character '='")
    assert client.post("/personalisation/rules", data={
        "csrf_token": token, "name": "Tone", "condition": "x", "key": "tone",
        "priority": "high"}).context["error"] == "priority: 'high' is not a whole number"
    created = client.post("/personalisation/rules", data={
        "csrf_token": token, "name": "Tone", "condition": "engagement_level == 'high'",
        "key": "tone", "value": "Warm", "priority": "1", "enabled": "on"},
        follow_redirects=False)
    assert created.status_code == 303
    client.post("/personalisation/rules", data={"csrf_token": token, "examples": "1"})
    first = client.get("/personalisation/rules")
    assert first.context["total"] == 14 and first.context["next"] is not None
    second = client.get("/personalisation/rules", params={"after": first.context["next"]})
    assert len(first.context["rules"]) + len(second.context["rules"]) == 14

    rule = runner.rules_page(engine, offset=0, first=1, key="tone")[0][0]
    edit = client.get(f"/personalisation/rules/{rule.id}")
    assert edit.template == "personalisation_rule.html"
    assert edit.context["form"]["condition"] == rule.condition
    bad = client.post(f"/personalisation/rules/{rule.id}", data={
        "csrf_token": token, "name": rule.name, "condition": rule.condition, "key": "Bad Key",
        "value": rule.value, "priority": "0"})
    assert bad.status_code == 422 and bad.context["error"].startswith("key: 'Bad Key'")
    saved = client.post(f"/personalisation/rules/{rule.id}", data={
        "csrf_token": token, "name": "Renamed", "condition": rule.condition, "key": "tone",
        "value": "Hi", "priority": "7", "enabled": "on"}, follow_redirects=False)
    assert saved.headers["location"] == f"/personalisation/rules/{rule.id}"
    assert runner.get_rule(engine, rule.id).name == "Renamed"
    off = client.post(f"/personalisation/rules/{rule.id}", data={
        "csrf_token": token, "toggle": "disable"}, follow_redirects=False)
    assert off.headers["location"] == "/personalisation/rules"
    assert runner.get_rule(engine, rule.id).enabled is False
    disabled = client.get("/personalisation/rules", params={"enabled": "no"})
    assert [r["name"] for r in disabled.context["rules"]] == ["Renamed"]
    assert client.get("/personalisation/rules/999").status_code == 404
    gone = client.post("/personalisation/rules/999", data={"csrf_token": token,
                                                          "toggle": "enable"})
    assert gone.status_code == 404


def test_templates_are_linked_unlinked_and_deleted_from_the_editor(
        client: TestClient, engine: Engine) -> None:
    load_shop(engine)
    token = log_in(client, make_key(engine, "analyst"))
    template = runner.create_template(engine, name="Greeting", kind="subject",
                                      source="Hi {{ first_name }}")
    editor = f"/personalisation?template={template.id}"
    links = f"/personalisation/templates/{template.id}/campaigns"
    deleting = f"/personalisation/templates/{template.id}/delete"

    page = client.get(editor)
    assert page.context["linked"] == [] and 'id="no-campaigns"' in page.text
    assert [c["id"] for c in page.context["campaigns"]] == ["c2", "c1"]
    assert '<option value="c1">Spring Sale (c1)</option>' in page.text
    assert "Link as its subject" in page.text and f'href="{deleting}"' in page.text
    narrowed = client.get(f"{editor}&campaign_search=spring")
    assert [c["id"] for c in narrowed.context["campaigns"]] == ["c1"]
    none = client.get(f"{editor}&campaign_search=nothing+like+it")
    assert none.context["campaigns"] == [] and "No campaign matches" in none.text

    linked = client.post(links, data={"csrf_token": token, "campaign_id": "c1"},
                         follow_redirects=False)
    assert linked.status_code == 303
    assert linked.headers["location"] == f"{editor}&linked=c1#template-campaigns"
    assert runner.template_campaigns(engine, template.id) == ["c1"]
    shown = client.get(linked.headers["location"])
    assert shown.context["linked"] == ["c1"] and 'id="linked-c1"' in shown.text
    assert "Linked to campaign c1." in shown.text
    unknown = client.post(links, data={"csrf_token": token, "campaign_id": "zz"})
    assert unknown.status_code == 422
    assert unknown.context["link_error"] == "campaignId: no campaign has id 'zz'"
    assert unknown.context["linked"] == ["c1"]
    empty = client.post(links, data={"csrf_token": token, "campaign_id": ""})
    assert empty.context["link_error"] == "campaignId: choose a campaign to link"
    stranger = client.post(links, data={"csrf_token": token, "unlink": "c2"})
    assert stranger.context["link_error"] == ("campaignId: campaign 'c2' does not send "
                                              "this template")

    confirm = client.get(deleting)
    assert confirm.template == "personalisation_delete.html"
    assert "Campaigns c1 send it" in confirm.text and 'name="confirm" value="yes"' in confirm.text
    unconfirmed = client.post(deleting, data={"csrf_token": token})
    assert unconfirmed.status_code == 422
    assert unconfirmed.context["error"] == "Confirm the deletion with the button below."
    in_use = client.post(deleting, data={"csrf_token": token, "confirm": "yes"})
    assert in_use.status_code == 422
    assert in_use.context["error"] == ("id: campaigns c1 send this template; link them to "
                                       "another one first")

    for path, data in ((links, {"unlink": "c1"}), (deleting, {"confirm": "yes"})):
        expired = client.post(path, data={"csrf_token": "nope", **data})
        assert expired.status_code == 403 and "Form expired" in expired.text
    assert runner.template_campaigns(engine, template.id) == ["c1"]

    unlinked = client.post(links, data={"csrf_token": token, "unlink": "c1"},
                           follow_redirects=False)
    assert unlinked.headers["location"] == f"{editor}&unlinked=c1#template-campaigns"
    assert runner.template_campaigns(engine, template.id) == []
    deleted = client.post(deleting, data={"csrf_token": token, "confirm": "yes"},
                          follow_redirects=False)
    assert deleted.headers["location"] == "/personalisation?deleted=1"
    assert runner.get_template(engine, template.id or 0) is None
    assert 'id="deleted"' in client.get(deleted.headers["location"]).text
    assert client.get(deleting).status_code == 404
    assert client.post(links, data={"csrf_token": token, "campaign_id": "c1"}
                       ).status_code == 404


def test_viewers_read_but_cannot_write(client: TestClient, engine: Engine,
                                       viewer_key: str) -> None:
    load_shop(engine)
    token = log_in(client, viewer_key)
    page = client.get("/personalisation")
    assert page.context["can_edit"] is False and "Save template" not in page.text
    assert "New rule" not in client.get("/personalisation/rules").text
    template = runner.create_template(engine, name="Seen", kind="cta", source="Shop now")
    runner.link_campaign_template(engine, campaign_id="c1", kind="cta",
                                  template_id=template.id)
    seen = client.get(f"/personalisation?template={template.id}")
    assert seen.context["linked"] == ["c1"] and 'id="linked-c1"' in seen.text
    assert "Unlink" not in seen.text and "Delete this template" not in seen.text
    assert client.get(f"/personalisation/templates/{template.id}/delete").status_code == 403
    for path, data in (("/personalisation/templates", {"name": "x", "source": "x"}),
                       (f"/personalisation/templates/{template.id}/delete", {"confirm": "yes"}),
                       (f"/personalisation/templates/{template.id}/campaigns",
                        {"unlink": "c1"}),
                       ("/personalisation/rules", {"name": "x"}),
                       ("/personalisation/rules/1", {"toggle": "disable"})):
        refused = client.post(path, data={"csrf_token": token, **data})
        assert refused.status_code == 403
        assert "needs the analyst or admin role" in refused.text
    assert runner.get_rule(engine, 1).enabled is True
