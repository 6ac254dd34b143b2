"""``mailscope apikey``: create, list, rotate and revoke API keys; ``mailscope audit``;
``mailscope schema export``."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from server.cli.common import DatabaseUrl, fail, use_database

apikey_app = typer.Typer(help="API keys: create, list, rotate, revoke.", no_args_is_help=True)
schema_app = typer.Typer(help="The GraphQL schema.", no_args_is_help=True)

ROLE_HELP = "viewer (read), analyst (read, run jobs), admin (everything), ingest (import only)"


@apikey_app.command("create")
def create(
    role: Annotated[str, typer.Option(help=ROLE_HELP)],
    name: Annotated[str, typer.Option(help="Who or what uses the key.")] = "cli",
    expires_in_days: Annotated[float | None, typer.Option(
        help="The key stops working this many days from now (default: never).")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create a key and print it once; only its hash is stored."""
    from server.auth import RoleError, create_api_key
    from server.db.engine import engine_for, session_scope
    from server.db.types import utcnow

    settings = use_database(database_url)
    expires_at = None
    if expires_in_days is not None:
        if expires_in_days <= 0:
            raise fail(f"--expires-in-days {expires_in_days}: give a positive number of days")
        expires_at = utcnow() + timedelta(days=expires_in_days)
    try:
        with session_scope(engine_for(settings.database_url)) as session:
            key, raw_key = create_api_key(session=session, name=name, role=role,
                                          expires_at=expires_at)
            key_id = key.id
    except (RoleError, ValueError) as error:
        raise fail(f"--role/--name: {error}") from None
    typer.echo(f"created key {key_id} ({role}, {name!r}); store it now, it is not shown again:",
               err=True)
    typer.echo(raw_key)


@apikey_app.command("list")
def list_keys(database_url: DatabaseUrl = None) -> None:
    """Every key: id, prefix, role, last use, expiry, status (active, expired, revoked) and
    name."""
    from server.auth import key_status, list_api_keys
    from server.db.engine import engine_for, session_scope
    from server.db.types import utcnow

    settings = use_database(database_url)
    with session_scope(engine_for(settings.database_url)) as session:
        keys = list_api_keys(session=session)
    now = utcnow()
    typer.echo(f"{'id':>4}  {'prefix':<8}  {'role':<7}  {'last used (UTC)':<19}  "
               f"{'expires (UTC)':<19}  {'status':<7}  name")
    for key in keys:
        typer.echo(f"{key.id:>4}  {key.prefix:<8}  {key.role:<7}  {_when(key.last_used_at):<19}"
                   f"  {_when(key.expires_at, 'never'):<19}  {key_status(key, now):<7}  "
                   f"{key.name}")


def _when(moment: datetime | None, missing: str = "never") -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else missing


@apikey_app.command("rotate")
def rotate(key_id: Annotated[int, typer.Argument(help="Id from `mailscope apikey list`.")],
           grace_minutes: Annotated[float, typer.Option(
               help="Minutes the old secret keeps working (default 0: it stops now; "
                    "at most 7 days).")] = 0,
           database_url: DatabaseUrl = None) -> None:
    """Give a key a new secret (same id, name and role) and print it once."""
    from server.auth import rotate_api_key
    from server.db.engine import engine_for, session_scope

    settings = use_database(database_url)
    try:
        with session_scope(engine_for(settings.database_url)) as session:
            key, raw_key = rotate_api_key(session=session, key_id=key_id,
                                          grace=timedelta(minutes=grace_minutes))
            name = key.name
    except LookupError as error:
        raise fail(str(error)) from None
    except ValueError as error:
        raise fail(f"--grace-minutes/ID: {error}") from None
    old = (f"the old secret works for {grace_minutes:g} more minutes" if grace_minutes
           else "the old secret no longer works")
    typer.echo(f"rotated key {key_id} ({name!r}); {old}. Store the new one now:", err=True)
    typer.echo(raw_key)


@apikey_app.command("revoke")
def revoke(key_id: Annotated[int, typer.Argument(help="Id from `mailscope apikey list`.")],
           database_url: DatabaseUrl = None) -> None:
    """Revoke a key: requests with it get 401 from now on."""
    from server.auth import revoke_api_key
    from server.db.engine import engine_for, session_scope

    settings = use_database(database_url)
    try:
        with session_scope(engine_for(settings.database_url)) as session:
            key = revoke_api_key(session=session, key_id=key_id)
            name = key.name
    except LookupError as error:
        raise fail(str(error)) from None
    typer.echo(f"revoked key {key_id} ({name!r})")


@schema_app.command("export")
def export(output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Where to write the SDL (default: schema/schema.graphql).")]
           = None) -> None:
    """Write the GraphQL SDL (commit it; a test fails when it drifts from the code)."""
    from schema.export import SDL_PATH, export_sdl

    path = export_sdl(output or SDL_PATH)
    typer.echo(f"schema written to {path}")


@schema_app.command("openapi")
def openapi(output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Where to write it (default: server/api/openapi.json).")]
            = None) -> None:
    """Write the REST API's OpenAPI document (commit it; a test fails when it drifts)."""
    from server.api.openapi import OPENAPI_PATH, export_openapi

    path = export_openapi(output or OPENAPI_PATH)
    typer.echo(f"OpenAPI document written to {path}")


def register(app: typer.Typer) -> None:
    app.add_typer(apikey_app, name="apikey")
    app.add_typer(schema_app, name="schema")
