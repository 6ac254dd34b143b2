"""The root schema: query depth, alias and token limits (introspection stays usable for
GraphiQL); the committed SDL matches the code, and ``mailscope schema export`` writes it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from typer.testing import CliRunner

from schema.export import SDL_PATH, schema_sdl
from server.cli import app
from tests.schema.conftest import messages_of, run


def nested(depth: int) -> str:
    # Depth is counted on the document, so unknown fields still measure it.
    inner = "id"
    for _ in range(depth - 1):
        inner = f"node {{ {inner} }}"
    return f"query Deep {{ campaigns(first: 1) {{ edges {{ {inner} }} }} }}"


async def test_too_deep_query_is_rejected(db: Engine) -> None:
    result = await run(db, nested(11))
    assert "'Deep' exceeds maximum operation depth of 10" in messages_of(result)
    assert result.data is None


async def test_depth_ten_is_measured_but_allowed(db: Engine) -> None:
    result = await run(db, nested(8))
    assert not any("maximum operation depth" in message for message in messages_of(result))


async def test_too_many_aliases(db: Engine) -> None:
    fields = " ".join(f"a{i}: segments {{ id }}" for i in range(16))
    result = await run(db, f"{{ {fields} }}")
    assert messages_of(result) == ["16 aliases found. Allowed: 15"]
    allowed = " ".join(f"a{i}: segments {{ id }}" for i in range(15))
    assert (await run(db, f"{{ {allowed} }}")).errors is None


async def test_too_many_tokens(db: Engine) -> None:
    fields = " ".join("id" for _ in range(2100))
    result = await run(db, f"{{ segments {{ {fields} }} }}")
    assert messages_of(result) == [
        "Syntax Error: Document contains more than 2000 tokens. Parsing aborted."]


async def test_graphiql_introspection_is_within_limits(db: Engine) -> None:
    from graphql import get_introspection_query as full_introspection

    result = await run(db, full_introspection())
    assert result.errors is None
    assert result.data is not None
    assert result.data["__schema"]["queryType"]["name"] == "Query"


def test_committed_sdl_matches_the_code() -> None:
    assert SDL_PATH.read_text() == schema_sdl(), (
        "schema/schema.graphql is out of date with the code: run `mailscope schema export` "
        "and commit the result")


def test_schema_export_command(tmp_path: Path) -> None:
    target = tmp_path / "out.graphql"
    result = CliRunner().invoke(app, ["schema", "export", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert result.output == f"schema written to {target}\n"
    assert target.read_text() == schema_sdl()
    assert "type Query {" in target.read_text()
