"""Template, rule and link writes through the schema: analysts write, viewers are
refused, and a refused write names the field, line and column."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.schema.conftest import ANALYST, data_of, messages_of, run

CREATE = """mutation($input: TemplateInput!) { createTemplate(input: $input) {
  __typename ... on ContentTemplate { id name kind version }
  ... on PersonalisationRefused { field message line column
    lint { severity code line column token } } } }"""
UPDATE = """mutation($id: ID!, $patch: TemplatePatch!) { updateTemplate(id: $id, patch: $patch) {
  __typename ... on ContentTemplate { name version source }
  ... on PersonalisationRefused { field message line column } } }"""
DELETE = """mutation($id: ID!) { deleteTemplate(id: $id) {
  __typename ... on TemplateDeleted { id } ... on PersonalisationRefused { field message } } }"""
LINK = """mutation($c: ID!, $k: TemplateKind!, $t: ID) {
  linkCampaignTemplate(campaignId: $c, kind: $k, templateId: $t) {
  __typename ... on CampaignTemplateLinked { campaignId kind templateId }
  ... on PersonalisationRefused { field message } } }"""
RULE = """mutation($input: RuleInput!) { createPersonalisationRule(input: $input) {
  __typename ... on PersonalisationRule { id name key enabled priority }
  ... on PersonalisationRefused { field message column } } }"""
RULE_UPDATE = """mutation($id: ID!, $patch: RulePatch!) {
  updatePersonalisationRule(id: $id, patch: $patch) {
  __typename ... on PersonalisationRule { id enabled value }
  ... on PersonalisationRefused { field message } } }"""
RULE_DELETE = """mutation($id: ID!) { deletePersonalisationRule(id: $id) {
  __typename ... on RuleDeleted { id } ... on PersonalisationRefused { field message } } }"""


async def test_templates_are_refused_with_every_lint_error_and_saved_when_clean(shop: Engine):
    refused = await data_of(shop, CREATE, {"input": {
        "name": "Welcome", "kind": "BODY",
        "source": "Hi {{ customer.first_nme }}\n{{ foo }}"}}, user=ANALYST)
    assert refused["createTemplate"] == {
        "__typename": "PersonalisationRefused", "field": "source", "line": 1, "column": 7,
        "message": "line 1, column 7: unknown token customer.first_nme — did you mean "
                   "customer.first_name? (and 1 more)",
        "lint": [{"severity": "error", "code": "unknown-token", "line": 1, "column": 7,
                  "token": "customer.first_nme"},
                 {"severity": "error", "code": "unknown-token", "line": 2, "column": 4,
                  "token": "foo"}]}
    created = (await data_of(shop, CREATE, {"input": {
        "name": "Welcome", "kind": "SUBJECT", "source": "Hi {{ first_name }}"}},
        user=ANALYST))["createTemplate"]
    assert {k: created[k] for k in ("__typename", "name", "kind", "version")} == {
        "__typename": "ContentTemplate", "name": "Welcome", "kind": "SUBJECT", "version": 1}
    template_id = created["id"]
    updated = await data_of(shop, UPDATE, {"id": template_id, "patch": {"source": "{{ }"}},
                            user=ANALYST)
    assert updated["updateTemplate"] == {
        "__typename": "PersonalisationRefused", "field": "source", "line": 1, "column": 4,
        "message": "line 1, column 4: unexpected '}'"}
    updated = await data_of(shop, UPDATE, {"id": template_id, "patch": {"name": "Hi"}},
                            user=ANALYST)
    assert updated["updateTemplate"] == {"__typename": "ContentTemplate", "name": "Hi",
                                         "version": 2, "source": "Hi {{ first_name }}"}
    linked = await data_of(shop, LINK, {"c": "c1", "k": "SUBJECT", "t": template_id},
                           user=ANALYST)
    assert linked["linkCampaignTemplate"] == {
        "__typename": "CampaignTemplateLinked", "campaignId": "c1", "kind": "SUBJECT",
        "templateId": template_id}
    wrong = await data_of(shop, LINK, {"c": "c1", "k": "BODY", "t": template_id},
                          user=ANALYST)
    assert wrong["linkCampaignTemplate"]["field"] == "templateId"
    blocked = await data_of(shop, DELETE, {"id": template_id}, user=ANALYST)
    assert blocked["deleteTemplate"]["message"].startswith("id: campaigns c1 send this")
    await data_of(shop, LINK, {"c": "c1", "k": "SUBJECT", "t": None}, user=ANALYST)
    assert (await data_of(shop, DELETE, {"id": template_id}, user=ANALYST))[
        "deleteTemplate"] == {"__typename": "TemplateDeleted", "id": template_id}
    bad_id = await data_of(shop, DELETE, {"id": "x"}, user=ANALYST)
    assert bad_id["deleteTemplate"] == {"__typename": "PersonalisationRefused",
                                        "field": "id", "message": "id: 'x' is not a number"}


async def test_rules_crud_and_enable(shop: Engine):
    refused = await data_of(shop, RULE, {"input": {
        "name": "Tone", "condition": "engagement_levl == 'high'", "key": "tone",
        "value": "Warm"}}, user=ANALYST)
    assert refused["createPersonalisationRule"] == {
        "__typename": "PersonalisationRefused", "field": "condition", "column": 1,
        "message": "condition: unknown field 'engagement_levl' at column 1 — did you mean "
                   "engagement_level?"}
    created = (await data_of(shop, RULE, {"input": {
        "name": "Tone", "condition": "engagement_level == 'high'", "key": "tone",
        "value": "Warm", "priority": 5}}, user=ANALYST))["createPersonalisationRule"]
    assert {k: created[k] for k in ("name", "key", "enabled", "priority")} == {
        "name": "Tone", "key": "tone", "enabled": True, "priority": 5}
    off = await data_of(shop, RULE_UPDATE, {"id": created["id"], "patch": {"enabled": False}},
                        user=ANALYST)
    assert off["updatePersonalisationRule"] == {
        "__typename": "PersonalisationRule", "id": created["id"], "enabled": False,
        "value": "Warm"}
    missing = await data_of(shop, RULE_UPDATE, {"id": "999", "patch": {"value": "x"}},
                            user=ANALYST)
    assert missing["updatePersonalisationRule"]["message"] == "id: no rule has id 999"
    assert (await data_of(shop, RULE_DELETE, {"id": created["id"]}, user=ANALYST))[
        "deletePersonalisationRule"] == {"__typename": "RuleDeleted", "id": created["id"]}
    examples = await data_of(shop, "mutation { installExampleRules { added { key } } }",
                             user=ANALYST)
    assert len(examples["installExampleRules"]["added"]) == 10


async def test_viewers_cannot_write(shop: Engine):
    result = await run(shop, CREATE, {"input": {"name": "x", "kind": "BODY",
                                                "source": "x"}})
    assert messages_of(result) == [
        "'createTemplate' needs the analyst role (or admin); the key 'viewer key' has the "
        "viewer role. Ask an admin for a key with the analyst role."]
    result = await run(shop, "mutation { installExampleRules { added { id } } }")
    assert messages_of(result)[0].startswith("'installExampleRules' needs the analyst role")
