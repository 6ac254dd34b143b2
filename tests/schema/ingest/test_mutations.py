"""recordEvents: only ingest and admin keys may write events."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.schema.conftest import ANALYST, messages_of, run


async def test_record_events_needs_ingest_or_admin(world: Engine) -> None:
    result = await run(world, """mutation { recordEvents(events: []) {
        __typename } }""", user=ANALYST)
    assert messages_of(result) == [
        "'recordEvents' needs the ingest role (or admin); the key 'analyst key' has the "
        "analyst role. Ask an admin for a key with the ingest role."]
