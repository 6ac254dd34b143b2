"""``mailscope db``: schema migrations, SQLite backups and restores."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from server.cli.common import DatabaseUrl, fail, use_database

if TYPE_CHECKING:
    from server.db.backup import Checked

app = typer.Typer(help="Database schema, backup and restore commands.", no_args_is_help=True)


@app.command()
def upgrade(database_url: DatabaseUrl = None, revision: str = "head") -> None:
    """Apply every pending migration (creates the database when it does not exist)."""
    from server.db.migrate import upgrade as run_upgrade

    settings = use_database(database_url)
    run_upgrade(settings.database_url, revision)
    typer.echo(f"database at {revision}: {settings.database_url}")


def _checked(database_url: str | None, refusal: str,
             work: Callable[[str], Checked]) -> tuple[str, Checked]:
    """The configured database URL and ``work(url)``; a ``BackupError`` exits 1 with
    ``refusal: why`` (nothing was written)."""
    from server.db.backup import BackupError

    url = use_database(database_url).database_url
    try:
        return url, work(url)
    except BackupError as error:
        raise fail(f"{refusal}: {error}") from None


@app.command()
def backup(path: Annotated[Path, typer.Argument(help="The backup file to write.")],
           force: Annotated[bool, typer.Option(
               "--force", help="Overwrite PATH if it exists.")] = False,
           database_url: DatabaseUrl = None) -> None:
    """Copy the SQLite database to PATH while the server may be running (SQLite's online
    backup API: a consistent point, writers never blocked), then check the copy."""
    from server.db.backup import backup as run_backup

    _, checked = _checked(database_url, "no backup made",
                          lambda url: run_backup(url, path, overwrite=force))
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
    from server.db.backup import is_current
    from server.db.backup import restore as run_restore

    url, checked = _checked(database_url, "nothing restored",
                            lambda url: run_restore(url, path, force=force))
    typer.echo(f"restored {path} (schema revision {checked.revision}, integrity ok) into "
               f"{url}")
    if is_current(checked):  # an older backup may predate the audit table
        from server.auth import CLI_ACTOR
        from server.db.engine import engine_for
        from server.db.repository.audit import audit

        audit(engine=engine_for(url), actor=CLI_ACTOR.name,
              action="db.restore", target=path.name, detail={"revision": checked.revision})
    else:
        typer.echo("the backup predates this version's schema: run `mailscope db upgrade`")
