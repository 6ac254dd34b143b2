"""Personalisation reads: lint, previews with the reasons, the rules list, tokens and a
customer's personalised content."""

from __future__ import annotations

import json

from sqlalchemy import Engine

from server.runners import personalisation as runner
from tests.schema.conftest import data_of, messages_of, run
from tests.worlds.personalisation import RENDER_AT

LINT = """query($s: String!, $k: TemplateKind!) { lintTemplate(source: $s, kind: $k) {
  severity code message line column token } }"""
PREVIEW = """query($s: String, $t: ID, $ids: [ID!]) {
  previewTemplate(source: $s, templateId: $t, kind: SUBJECT, customerIds: $ids) {
  kind lint { code line column }
  customers { customerId firstName lifecycleStage rendered { text error }
    chosen { key value } rules { name fired matched shadowedBy
      reasons { condition values held } } } } }"""
RULES = """query($first: Int!, $after: String, $enabled: Boolean) {
  personalisationRules(first: $first, after: $after, enabled: $enabled) {
  totalCount pageInfo { hasNextPage endCursor } edges { node { name priority enabled } } } }"""
CONTENT = """query($c: ID!, $u: ID!) { personalizedContent(customerId: $u, campaignId: $c) {
  customerId campaignId subject { text error } body { text } cta { text }
  templates { name kind } chosen { key value } firedRules { name } rules { name fired } } }"""


async def test_lint_reports_line_column_and_how_often_a_field_is_empty(shop: Engine):
    data = await data_of(shop, LINT, {"s": "Hi {{ last_name }}\n{{ x", "k": "SUBJECT"})
    assert data["lintTemplate"] == [{
        "severity": "error", "code": "syntax", "line": 2, "column": 5, "token": None,
        "message": "unexpected end of template, expected 'end of print statement'."}]
    data = await data_of(shop, LINT, {"s": "Hi {{ last_name }}", "k": "BODY"})
    assert data["lintTemplate"] == [{
        "severity": "warning", "code": "no-fallback", "line": 1, "column": 7,
        "token": "customer.last_name",
        "message": "customer.last_name is empty for 50% of customers (2 of 4); add a "
                   "fallback such as {{ customer.last_name | default(\"…\") }}"}]


async def test_preview_defaults_to_three_very_different_customers(shop: Engine, monkeypatch):
    # Rendered at 08:00 UTC, when it is 04:00 for Cy in New York: before the "Morning"
    # rule's hours, so only the offer is chosen (at other hours the greeting is too).
    monkeypatch.setattr(runner, "utcnow", lambda: RENDER_AT)
    source = "{{ first_name | default('there') }}: {{ rules.offer | default('-') }}"
    data = (await data_of(shop, PREVIEW, {"s": source}))["previewTemplate"]
    assert data["kind"] == "SUBJECT" and data["lint"] == []
    assert [(c["customerId"], c["firstName"], c["lifecycleStage"], c["rendered"]["text"])
            for c in data["customers"]] == [
        ("u3", "Cy", "active", "Cy: 10% off"), ("u2", "Bo", "churned", "Bo: -"),
        ("u4", None, "new", "there: -")]
    cy = data["customers"][0]
    assert cy["chosen"] == [{"key": "offer", "value": "10% off"}]
    buyer = [r for r in cy["rules"] if r["name"] == "Any buyer"][0]
    assert buyer == {"name": "Any buyer", "fired": True, "matched": True, "shadowedBy": None,
                     "reasons": [{"condition": "purchases >= 1", "held": True,
                                  "values": json.dumps({"purchases": 1})}]}
    saved = runner.create_template(shop, name="S", kind="subject", source=source)
    by_id = await data_of(shop, PREVIEW, {"t": str(saved.id), "ids": ["u1"]})
    assert by_id["previewTemplate"]["customers"][0]["rendered"]["text"] == \
        "Ana: Free shipping"
    for variables, message in (
            ({"s": "x", "t": "1"}, "give either templateId or source"),
            ({"t": "999"}, "templateId: no template has id 999"),
            ({"s": "x", "ids": ["nobody"]}, "customerIds: no customer has id 'nobody'")):
        assert messages_of(await run(shop, PREVIEW, variables)) == [message]


async def test_preview_without_profiles_says_what_to_do(engine: Engine):
    result = await run(engine, PREVIEW, {"s": "x"})
    assert messages_of(result) == ["customerIds: there are no customer profiles to preview "
                                   "with yet; import customers or pass customerIds"]


async def test_rules_are_listed_in_pages_in_the_order_they_are_tried(shop: Engine):
    first = (await data_of(shop, RULES, {"first": 2}))["personalisationRules"]
    assert first["totalCount"] == 3 and first["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["name"] for e in first["edges"]] == ["Big spenders", "Any buyer"]
    rest = (await data_of(shop, RULES, {"first": 2, "after": first["pageInfo"]["endCursor"]})
            )["personalisationRules"]
    assert [e["node"]["name"] for e in rest["edges"]] == ["Morning"]
    assert (await data_of(shop, RULES, {"first": 5, "enabled": False}))[
        "personalisationRules"]["totalCount"] == 0
    rule_id = runner.rules_page(shop, offset=0, first=1)[0][0].id
    one = await data_of(shop, "query($id: ID!) { personalisationRule(id: $id) { name } "
                              "bad: personalisationRule(id: \"x\") { name } }",
                        {"id": str(rule_id)})
    assert one == {"personalisationRule": {"name": "Big spenders"}, "bad": None}


async def test_templates_tokens_and_personalized_content(shop: Engine):
    subject = runner.create_template(shop, name="Subject", kind="subject",
                                     source="{{ campaign.name }}, {{ first_name | "
                                            "default('friend') }}")
    runner.link_campaign_template(shop, campaign_id="c1", kind="subject",
                                  template_id=subject.id)
    data = (await data_of(shop, CONTENT, {"c": "c1", "u": "u4"}))["personalizedContent"]
    rules = data.pop("rules")  # the greeting depends on the hour in Tokyo right now
    assert [r["name"] for r in rules] == ["Big spenders", "Any buyer", "Morning"]
    assert data.pop("firedRules") == [{"name": r["name"]} for r in rules if r["fired"]]
    data.pop("chosen")
    assert data == {
        "customerId": "u4", "campaignId": "c1",
        "subject": {"text": "Spring Sale, friend", "error": None}, "body": None, "cta": None,
        "templates": [{"name": "Subject", "kind": "SUBJECT"}]}
    missing = await run(shop, CONTENT, {"c": "zz", "u": "u1"})
    assert messages_of(missing) == ["campaignId: no campaign has id 'zz'"]
    runner.create_template(shop, name="Body", kind="body", source="<p>hello</p>")
    listed = await data_of(shop, """{
      templates(kind: SUBJECT) { totalCount edges { node { name version } } }
      all: templates(first: 1) { totalCount pageInfo { hasNextPage }
                                 edges { node { name } } }
      found: templates(search: "HELLO") { edges { node { name } } } }""")
    assert listed == {
        "templates": {"totalCount": 1, "edges": [{"node": {"name": "Subject", "version": 1}}]},
        "all": {"totalCount": 2, "pageInfo": {"hasNextPage": True},
                "edges": [{"node": {"name": "Body"}}]},
        "found": {"edges": [{"node": {"name": "Body"}}]}}
    one = await data_of(shop, "query($id: ID!) { template(id: $id) { name } "
                              "bad: template(id: \"x\") { name } }", {"id": str(subject.id)})
    assert one == {"template": {"name": "Subject"}, "bad": None}
    tokens = (await data_of(shop, "{ personalisationTokens { token emptyShare } }"))[
        "personalisationTokens"]
    by_token = {t["token"]: t["emptyShare"] for t in tokens}
    assert by_token["customer.first_name"] == 0.25 and by_token["rules.offer"] == 0.5
    assert "rules.greeting" in by_token
