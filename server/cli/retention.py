"""``mailscope retention``: apply the raw-event retention policy (cron-able)."""

from __future__ import annotations

from typing import Annotated

import typer

from server.cli.common import DatabaseUrl, fail, use_database

retention_app = typer.Typer(help="Raw-event retention.", no_args_is_help=True)


@retention_app.command()
def apply(dry_run: Annotated[bool, typer.Option(
              "--dry-run", help="Count what would be deleted; delete nothing.")] = False,
          days: Annotated[int | None, typer.Option(
              "--days", help="Keep this many days (default: "
                             "MAILSCOPE_RAW_EVENT_RETENTION_DAYS).")] = None,
          database_url: DatabaseUrl = None) -> None:
    """Delete raw email events older than the retention period, in one transaction. Send
    facts and rollups (every dashboard figure) stay as they are. Run it daily from cron."""
    from server.auth import CLI_ACTOR
    from server.db.engine import get_engine
    from server.db.repository.audit import audit
    from server.runners import retention

    settings = use_database(database_url)
    try:
        result = retention.apply(get_engine(), days if days is not None
                                 else settings.raw_event_retention_days, dry_run=dry_run)
    except retention.NoRetentionPolicy as problem:
        raise fail(str(problem)) from None
    if not dry_run:
        audit(engine=get_engine(), actor=CLI_ACTOR.name, action="retention.apply",
              detail={"summary": result.summary()})
    typer.echo(result.summary())


def register(app: typer.Typer) -> None:
    app.add_typer(retention_app, name="retention")
