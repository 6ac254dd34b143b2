"""Options and helpers shared by every command."""

from __future__ import annotations

from typing import Annotated

import typer

from server.settings import Settings, configure, get_settings

DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", envvar="MAILSCOPE_DATABASE_URL",
                 help="SQLAlchemy URL of the database (default: SQLite file under ./var/)."),
]


def use_database(database_url: str | None) -> Settings:
    """Apply ``--database-url`` (when given) to the settings in force."""
    if database_url:
        return configure(database_url=database_url)
    return get_settings()


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(message, fg=typer.colors.RED, err=True)
    return typer.Exit(code)
