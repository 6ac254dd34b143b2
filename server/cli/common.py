"""Options and helpers shared by every command."""

from __future__ import annotations

from datetime import UTC, datetime
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


def require_hashing_match(settings: Settings) -> None:
    """Exit with the reason when MAILSCOPE_EMAIL_HASHING does not match how the database
    stores customer addresses (see "Hashing of addresses at rest" in the README)."""
    from server.db.engine import engine_for
    from server.db.repository.email_hashing import HashingMismatch, check_engine

    try:
        check_engine(engine_for(settings.database_url), settings)
    except HashingMismatch as mismatch:
        raise fail(f"refusing to start: {mismatch}") from None


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(message, fg=typer.colors.RED, err=True)
    return typer.Exit(code)


def parse_date(text: str | None, option: str, example: str) -> datetime | None:
    """``--option`` as an aware datetime (a date or ISO 8601 time; UTC when it names no
    zone), None when not given; exits naming the option when it is not a date."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise fail(f"{option} {text!r} is not a date; use YYYY-MM-DD or an ISO 8601 "
                   f"time, e.g. {example}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
