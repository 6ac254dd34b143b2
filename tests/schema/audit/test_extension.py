"""Every mutation is recorded once: caller, arguments in brief, and how it ended."""

from __future__ import annotations

import json

from sqlalchemy import Engine

from schema.audit.extension import outcome_of, summary
from server.auth import Principal
from server.db.engine import session_scope
from server.db.repository.audit import list_audit
from tests.schema.conftest import run

ADMIN = Principal(key_id=3, name="boss", role="admin")
VIEWER = Principal(key_id=4, name="reader", role="viewer")


async def test_mutations_are_audited_with_outcome(db: Engine) -> None:
    created = await run(db, 'mutation { createSegment(input: {id: "vip", name: "VIPs", '
                            'definition: "sends >= 3"}) { __typename } }', user=ADMIN)
    assert created.errors is None
    refused = await run(db, "mutation { resetTargets { __typename } }", user=VIEWER)
    assert refused.errors is not None
    missing = await run(db, 'mutation { deleteSegment(id: "999") { __typename } }',
                        user=ADMIN)
    assert missing.errors is None
    read = await run(db, "{ segments { id } }", user=ADMIN)
    assert read.errors is None
    with session_scope(db) as session:
        events = list_audit(session=session)
    assert [(e.action, e.actor, e.actor_key_id, e.outcome) for e in events] == [
        ("graphql.deleteSegment", "boss", 3,
         missing.data["deleteSegment"]["__typename"]),  # type: ignore[index]
        ("graphql.resetTargets", "reader", 4, "refused"),
        ("graphql.createSegment", "boss", 3, "ok"),
    ]
    assert json.loads(events[2].detail) == {
        "input": {"definition": "sends >= 3", "description": None, "id": "vip",
                  "name": "VIPs"}}


async def test_an_erasure_is_recorded_without_the_erased_id(db: Engine) -> None:
    erased = await run(db, 'mutation { eraseCustomer(id: "nobody-7") { __typename } }',
                       user=ADMIN)
    assert erased.errors is None
    with session_scope(db) as session:
        [event] = list_audit(session=session)
    assert event.action == "graphql.eraseCustomer"
    assert json.loads(event.detail) == {"id": "[erased]"} and "nobody-7" not in event.target


def test_summary_and_outcome() -> None:
    class Deep:
        def __init__(self, depth: int) -> None:
            self.depth = depth
            self.inner = Deep(depth + 1) if depth < 5 else None
            self._private = "hidden"

    assert summary([1, 2, 3]) == {"items": 3}
    assert summary({"a": {"b": [1]}}) == {"a": {"b": {"items": 1}}}
    assert summary(Deep(0))["inner"]["inner"]["depth"] == 2
    assert isinstance(summary(Deep(0))["inner"]["inner"]["inner"], str)
    assert summary(b"x") == "b'x'"

    class Problem:
        message = "no"

    assert outcome_of(Problem()) == "Problem" and outcome_of(object()) == "ok"
