"""The schema's SDL as committed in ``schema/schema.graphql`` (front-end teams read it)."""

from __future__ import annotations

from pathlib import Path

from strawberry.printer import print_schema

from schema.root import schema

SDL_PATH = Path(__file__).with_name("schema.graphql")


def schema_sdl() -> str:
    return print_schema(schema) + "\n"


def export_sdl(path: Path = SDL_PATH) -> Path:
    """Write the SDL to ``path``; returns it."""
    path.write_text(schema_sdl())
    return path
