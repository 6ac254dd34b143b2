"""``mailscope serve``: migrate the database, then serve the app with uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from server.cli.common import DatabaseUrl, require_hashing_match, use_database


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    database_url: DatabaseUrl = None,
) -> None:
    """Serve the API, GraphiQL and pages (and, without a broker, the job workers)."""
    import uvicorn

    from server.app import create_app
    from server.db.migrate import upgrade

    settings = use_database(database_url)
    upgrade(settings.database_url)
    require_hashing_match(settings)
    app = create_app(settings)
    mode = "redis workers" if settings.broker_url else "embedded workers"
    auth = "on" if settings.auth else "OFF (MAILSCOPE_AUTH=false: everyone is admin)"
    typer.echo(f"Mailscope on http://{host}:{port}/  (GraphQL: /graphql, jobs: {mode}, "
               f"auth: {auth})")
    uvicorn.run(app, host=host, port=port, log_level="info")


def register(app: typer.Typer) -> None:
    app.command()(serve)
