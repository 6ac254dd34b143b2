"""Trigger writes through the schema: create from a template, refusals naming the field,
pause and resume, roles."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.schema.conftest import ANALYST, data_of, messages_of, run

CREATE = """mutation($input: TriggerInput!) { createTrigger(input: $input) {
  __typename ... on TriggerCreated { webhookSecret trigger { id name definition enabled
    priority cooldownSeconds maxFirings webhookUrl } }
  ... on TriggerRefused { field message } } }"""
ENABLE = """mutation($id: ID!, $on: Boolean!) { setTriggerEnabled(id: $id, enabled: $on) {
  __typename ... on Trigger { id enabled } ... on TriggerRefused { field message } } }"""


async def test_create_from_a_template_then_pause(db: Engine) -> None:
    data = await data_of(db, CREATE, {"input": {
        "name": "Carts", "template": "cart_abandonment",
        "webhookUrl": "https://example.com/hook", "priority": 5}}, user=ANALYST)
    created = data["createTrigger"]
    assert len(created.pop("webhookSecret")) >= 40
    assert created == {"__typename": "TriggerCreated", "trigger": {
        "id": "1", "name": "Carts", "enabled": True, "priority": 5,
        "cooldownSeconds": 86400, "maxFirings": 3, "webhookUrl": "https://example.com/hook",
        "definition": '{"exit": ["order"], "sequence": {"absent": true, "first": '
                      '"cart_add", "key": "cart_id", "then": "checkout", "within": "2h"}}'}}
    paused = await data_of(db, ENABLE, {"id": "1", "on": False}, user=ANALYST)
    assert paused["setTriggerEnabled"] == {"__typename": "Trigger", "id": "1",
                                           "enabled": False}
    missing = await data_of(db, ENABLE, {"id": "9", "on": True}, user=ANALYST)
    assert missing["setTriggerEnabled"] == {
        "__typename": "TriggerRefused", "field": "id",
        "message": "id: no trigger 9; triggers { id } lists them"}


async def test_refusals_name_the_field_and_viewers_cannot_write(db: Engine) -> None:
    data = await data_of(db, CREATE, {"input": {
        "name": "Bad", "definition": '{"sequence": {"first": "buy", "key": "cart_id"}}'}},
        user=ANALYST)
    assert data["createTrigger"] == {
        "__typename": "TriggerRefused", "field": "definition",
        "message": "sequence.first: unknown event type 'buy': use one of website_visit, "
                   "product_view, category_browse, cart_add, cart_remove, checkout, search, "
                   "wishlist_add, order, segment_entered, segment_left"}
    result = await run(db, CREATE, {"input": {"name": "x", "template": "cart_abandonment"}})
    assert messages_of(result) and "analyst" in messages_of(result)[0]


UPDATE = """mutation($id: ID!, $input: TriggerUpdateInput!) {
  updateTrigger(id: $id, input: $input) {
    __typename ... on Trigger { id name version cooldownSeconds maxFirings webhookUrl enabled
      versions { version name cooldownSeconds } }
    ... on TriggerRefused { field path message } } }"""
ARCHIVE = """mutation($id: ID!) { archiveTrigger(id: $id) {
  __typename ... on Trigger { id archivedAt } ... on TriggerRefused { field message } } }"""


async def test_edit_versions_and_archive(db: Engine) -> None:
    await data_of(db, CREATE, {"input": {"name": "Carts", "template": "cart_abandonment",
                                         "webhookUrl": "https://example.com/hook"}},
                  user=ANALYST)
    # Left out stays; null clears.
    data = await data_of(db, UPDATE, {"id": "1", "input": {
        "name": "Abandoned carts", "maxFirings": None, "webhookUrl": None}}, user=ANALYST)
    assert data["updateTrigger"] == {
        "__typename": "Trigger", "id": "1", "name": "Abandoned carts", "version": 2,
        "cooldownSeconds": 86400, "maxFirings": None, "webhookUrl": None, "enabled": True,
        "versions": [{"version": 2, "name": "Abandoned carts", "cooldownSeconds": 86400},
                     {"version": 1, "name": "Carts", "cooldownSeconds": 86400}]}
    bad = await data_of(db, UPDATE, {"id": "1", "input": {
        "definition": '{"sequence": {"first": "cart_add", "key": "cart_id", '
                      '"within": "soon"}}'}}, user=ANALYST)
    assert bad["updateTrigger"] == {
        "__typename": "TriggerRefused", "field": "definition", "path": "sequence.within",
        "message": "sequence.within: 'soon' is not a positive span: write a whole number and "
                   "a unit (s, m, h or d), such as 2h"}
    missing = await data_of(db, UPDATE, {"id": "x", "input": {"name": "y"}}, user=ANALYST)
    assert missing["updateTrigger"]["field"] == "id"
    archived = await data_of(db, ARCHIVE, {"id": "1"}, user=ANALYST)
    assert archived["archiveTrigger"]["archivedAt"] is not None
    listed = await data_of(db, "{ a: triggers { id } b: triggers(archived: true) { id } }")
    assert listed == {"a": [], "b": [{"id": "1"}]}
    resumed = await data_of(db, ENABLE, {"id": "1", "on": True}, user=ANALYST)
    assert resumed["setTriggerEnabled"]["field"] == "id"
    assert "archived" in resumed["setTriggerEnabled"]["message"]
    result = await run(db, UPDATE, {"id": "1", "input": {"name": "z"}})
    assert messages_of(result) and "analyst" in messages_of(result)[0]
