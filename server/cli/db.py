"""``mailscope db``: schema migrations, SQLite backups and restores."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from server.cli.common import DatabaseUrl, fail, use_database

app = typer.Typer(help="Database schema, backup and restore commands.", no_args_is_help=True)


@app.command()
def upgrade(database_url: DatabaseUrl = None, revision: str = "head") -> None:
    """Apply every pending migration (creates the database when it does not exist)."""
    from server.db.migrate import upgrade as run_upgrade

    settings = use_database(database_url)
    run_upgrade(settings.database_url, revision)
    typer.echo(f"database at {revision}: {settings.database_url}")


@app.command()
def backup(path: Annotated[Path, typer.Argument(help="The backup file to write.")],
           force: Annotated[bool, typer.Option(
               "--force", help="Overwrite PATH if it exists.")] = False,
           database_url: DatabaseUrl = None) -> None:
    """Copy the SQLite database to PATH while the server may be running (SQLite's online
    backup API: a consistent point, writers never blocked), then check the copy."""
    from server.db.backup import BackupError
    from server.db.backup import backup as run_backup

    settings = use_database(database_url)
    try:
        checked = run_backup(settings.database_url, path, overwrite=force)
    except BackupError as error:
        raise fail(f"no backup made: {error}") from None
    typer.echo(f"backup written to {path}: {checked.tables} tables, {checked.pages} pages, "
               f"schema revision {checked.revision}, integrity ok")


@app.command()
def restore(path: Annotated[Path, typer.Argument(help="The backup file to restore.")],
            force: Annotated[bool, typer.Option(
                "--force", help="Overwrite the existing database (stop the server first, "
                                "or its open work is lost).")] = False,
            database_url: DatabaseUrl = None) -> None:
    """Check a backup (integrity, a known schema revision) and restore it over the
    configured SQLite database; an existing database is overwritten only with --force."""
    from server.db.backup import BackupError, is_current
    from server.db.backup import restore as run_restore

    settings = use_database(database_url)
    try:
        checked = run_restore(settings.database_url, path, force=force)
    except BackupError as error:
        raise fail(f"nothing restored: {error}") from None
    typer.echo(f"restored {path} (schema revision {checked.revision}, integrity ok) into "
               f"{settings.database_url}")
    if is_current(checked):  # an older backup may predate the audit table
        from server.auth import CLI_ACTOR
        from server.db.engine import engine_for
        from server.db.repository.audit import audit

        audit(engine=engine_for(settings.database_url), actor=CLI_ACTOR.name,
              action="db.restore", target=path.name, detail={"revision": checked.revision})
    else:
        typer.echo("the backup predates this version's schema: run `mailscope db upgrade`")
