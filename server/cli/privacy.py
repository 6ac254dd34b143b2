"""``mailscope privacy``: switch a database to customer addresses hashed at rest."""

from __future__ import annotations

from typing import Annotated

import typer

from server.cli.common import DatabaseUrl, fail, use_database

privacy_app = typer.Typer(help="Privacy: customer addresses hashed at rest.",
                          no_args_is_help=True)


@privacy_app.command("hash-emails")
def hash_emails(yes: Annotated[bool, typer.Option(
                    "--yes", help="Convert without asking (scripts).")] = False,
                database_url: DatabaseUrl = None) -> None:
    """Replace every plain customer address by its keyed hash (MAILSCOPE_EMAIL_HASHING=on
    and MAILSCOPE_EMAIL_HASH_KEY must be set), in one transaction: on any failure nothing
    changes; a second run finds nothing to do. Cannot be undone."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from server.auth import CLI_ACTOR
    from server.db.engine import engine_for
    from server.db.repository.audit import audit
    from server.runners import email_hashing

    settings = use_database(database_url)
    engine = engine_for(settings.database_url)
    if not settings.email_hashing:
        raise fail("nothing converted: set MAILSCOPE_EMAIL_HASHING=on and "
                   "MAILSCOPE_EMAIL_HASH_KEY first (the conversion hashes with that key)")
    if not yes and not typer.confirm(
            "Hash every stored customer address? The plain addresses are not kept: this "
            "cannot be undone"):
        raise fail("nothing converted", code=1)
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), transient=True) as bars:
        task = bars.add_task("hashing addresses", total=None)
        try:
            converted = email_hashing.hash_emails(
                engine, settings,
                lambda done, total: bars.update(task, completed=done, total=total))
        except email_hashing.ConversionRefused as refused:
            bars.stop()
            audit(engine=engine, actor=CLI_ACTOR.name, action="privacy.hash_emails",
                  outcome="refused")
            raise fail(f"nothing converted: {refused}") from None
    audit(engine=engine, actor=CLI_ACTOR.name, action="privacy.hash_emails",
          detail={"summary": converted.summary()})
    typer.echo(converted.summary())


def register(app: typer.Typer) -> None:
    app.add_typer(privacy_app, name="privacy")
