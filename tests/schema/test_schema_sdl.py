"""The committed SDL matches the code, and ``mailscope schema export`` writes it."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from schema.export import SDL_PATH, schema_sdl
from server.cli import app


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
