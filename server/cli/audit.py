"""``mailscope audit``: the audit log of administrative actions, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from server.cli.common import DatabaseUrl, fail, use_database


def audit(
    action: Annotated[str | None, typer.Option(
        help="Only actions starting with this, e.g. apikey or graphql.setTargets.")] = None,
    actor: Annotated[str | None, typer.Option(help="Only this actor (a key's name).")] = None,
    since: Annotated[str | None, typer.Option(
        help="Only events at or after this ISO time, e.g. 2026-12-01T00:00:00+00:00.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="At most this many.")] = 50,
    database_url: DatabaseUrl = None,
) -> None:
    """List audit events: time, actor, action, target, outcome and details."""
    from server.db.engine import engine_for, session_scope
    from server.db.repository.audit import list_audit

    start = None
    if since is not None:
        try:
            start = datetime.fromisoformat(since)
        except ValueError:
            raise fail(f"--since {since!r} is not an ISO time: write e.g. "
                       "2026-12-01T00:00:00+00:00") from None
        if start.tzinfo is None:
            raise fail(f"--since {since!r} has no time zone: add +00:00 for UTC")
    settings = use_database(database_url)
    with session_scope(engine_for(settings.database_url)) as session:
        events = list_audit(session=session, limit=limit, action=action, actor=actor,
                            since=start)
    typer.echo(f"{'id':>5}  {'at (UTC)':<19}  {'actor':<20}  {'action':<28}  {'outcome':<8}  "
               "target  detail")
    for event in events:
        typer.echo(f"{event.id:>5}  {event.at.strftime('%Y-%m-%d %H:%M:%S'):<19}  "
                   f"{event.actor[:20]:<20}  {event.action[:28]:<28}  {event.outcome[:8]:<8}  "
                   f"{event.target}  {event.detail}")


def register(app: typer.Typer) -> None:
    app.command("audit")(audit)
