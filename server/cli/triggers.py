"""``mailscope triggers``: list triggers and run the sweep (cron-able)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from server.cli.common import DatabaseUrl, fail, use_database

triggers_app = typer.Typer(help="Triggers: list them and sweep for due occasions.",
                           no_args_is_help=True)


@triggers_app.command()
def sweep(as_of: Annotated[str | None, typer.Option(
              "--as-of", help="Decide as of this ISO time with offset (default now).")] = None,
          database_url: DatabaseUrl = None) -> None:
    """Decide every trigger occasion that has fallen due (absence conditions whose
    deadline passed) and enqueue the webhooks of new firings. Run it every few minutes
    from cron; running it twice decides nothing twice."""
    from server.db.engine import get_engine
    from server.runners.triggers import evaluate

    use_database(database_url)
    moment = None
    if as_of:
        try:
            moment = datetime.fromisoformat(as_of)
        except ValueError:
            raise fail(f"--as-of {as_of!r} is not an ISO time: write one such as "
                       "2026-01-01T12:00:00+00:00") from None
        if moment.tzinfo is None:
            raise fail("--as-of needs an offset, such as 2026-01-01T12:00:00+00:00")
    result = evaluate(get_engine(), as_of=moment)
    typer.echo(f"decided: {result.summary()}; {len(result.deliveries)} webhooks enqueued")


@triggers_app.command("list")
def list_command(archived: Annotated[bool, typer.Option(
                     "--archived", help="Also list archived triggers.")] = False,
                 database_url: DatabaseUrl = None) -> None:
    """Every trigger in force (with --archived, every trigger): id, state (enabled,
    paused or archived), priority, version, name."""
    from server.db.engine import get_engine
    from server.runners.triggers import list_triggers

    use_database(database_url)
    for row in list_triggers(get_engine(), archived=archived):
        state = ("archived" if row.archived_at is not None
                 else "enabled" if row.enabled else "paused")
        typer.echo(f"{row.id}\t{state}\t{row.priority}\tv{row.version}\t{row.name}")


def register(app: typer.Typer) -> None:
    app.add_typer(triggers_app, name="triggers")
