"""``auditLog``: admins read the log newest first, filtered and paged; nobody else."""

from __future__ import annotations

from sqlalchemy import Engine

from server.auth import Principal
from server.db.repository.audit import audit
from tests.schema.conftest import run

ADMIN = Principal(key_id=1, name="boss", role="admin")
QUERY = """query ($first: Int!, $after: String, $action: String, $actor: String) {
  auditLog(first: $first, after: $after, action: $action, actor: $actor) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { action actor actorKeyId target outcome detail } } } }"""


async def test_admins_page_and_filter(db: Engine) -> None:
    audit(engine=db, actor="cli", action="import.events", detail={"inserted": 5})
    audit(engine=db, actor="boss", action="apikey.rotate", actor_key_id=1, target="key 2")
    audit(engine=db, actor="boss", action="apikey_x.other")
    first = await run(db, QUERY, {"first": 2}, user=ADMIN)
    assert first.errors is None and first.data is not None
    log = first.data["auditLog"]
    assert log["totalCount"] == 3 and log["pageInfo"]["hasNextPage"] is True
    assert [edge["node"]["action"] for edge in log["edges"]] == [
        "apikey_x.other", "apikey.rotate"]
    assert log["edges"][1]["node"]["actorKeyId"] == "1"
    rest = await run(db, QUERY, {"first": 2, "after": log["pageInfo"]["endCursor"]},
                     user=ADMIN)
    assert rest.data is not None
    assert rest.data["auditLog"]["edges"][0]["node"]["detail"] == {"inserted": 5}
    # "apikey." matches its own actions only; the LIKE wildcard "_" is taken literally.
    filtered = await run(db, QUERY, {"first": 10, "action": "apikey.", "actor": "boss"},
                         user=ADMIN)
    assert filtered.data is not None
    assert [e["node"]["target"] for e in filtered.data["auditLog"]["edges"]] == ["key 2"]


async def test_below_admin_is_refused(db: Engine) -> None:
    result = await run(db, QUERY, {"first": 1},
                       user=Principal(key_id=2, name="a", role="analyst"))
    assert result.errors is not None and "needs the admin role" in result.errors[0].message
