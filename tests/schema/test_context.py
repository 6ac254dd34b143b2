"""Who may read: role refusals name the field and the fix; anonymous execution is refused."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.schema.conftest import INGEST, messages_of, run


async def test_ingest_key_cannot_read(world: Engine) -> None:
    result = await run(world, "{ segments { id } }", user=INGEST)
    assert result.data is None
    assert messages_of(result) == [
        "'segments' needs the viewer role (or admin); the key 'ingest key' has the ingest "
        "role. Ask an admin for a key with the viewer role."]


async def test_anonymous_execution_is_refused(world: Engine) -> None:
    from starlette.authentication import UnauthenticatedUser

    from schema.operations import execute

    result = await execute("{ segments { id } }", user=UnauthenticatedUser(), engine=world)
    assert messages_of(result) == [
        "Authentication required: send 'Authorization: Bearer <API key>'."]
