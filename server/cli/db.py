"""``mailscope db``: schema migrations."""

from __future__ import annotations

import typer

from server.cli.common import DatabaseUrl, use_database

app = typer.Typer(help="Database schema commands.", no_args_is_help=True)


@app.command()
def upgrade(database_url: DatabaseUrl = None, revision: str = "head") -> None:
    """Apply every pending migration (creates the database when it does not exist)."""
    from server.db.migrate import upgrade as run_upgrade

    settings = use_database(database_url)
    run_upgrade(settings.database_url, revision)
    typer.echo(f"database at {revision}: {settings.database_url}")
