"""``mailscope customers``: privacy requests (erase a customer, export their data)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from server.cli.common import DatabaseUrl, fail, use_database

customers_app = typer.Typer(help="Customers: privacy requests (erasure, data export).",
                            no_args_is_help=True)


@customers_app.command()
def erase(customer_id: Annotated[str, typer.Argument(help="The customer's id.")],
          yes: Annotated[bool, typer.Option(
              "--yes", help="Erase without asking (scripts).")] = False,
          database_url: DatabaseUrl = None) -> None:
    """Erase a customer everywhere (GDPR): profile, sends and their events, orders,
    behaviour, touchpoints, segments, scores, trigger firings and attributes; counters
    are corrected and a salted tombstone keeps their rows out of later imports. One
    transaction: on any failure nothing changes. Cannot be undone."""
    from server.auth import CLI_ACTOR
    from server.db.engine import get_engine
    from server.db.repository.audit import audit
    from server.runners import privacy

    use_database(database_url)
    if not yes and not typer.confirm(
            f"Erase customer {customer_id!r} and everything held about them? This cannot "
            "be undone"):
        raise fail("nothing erased", code=1)
    try:
        erased = privacy.erase(get_engine(), customer_id)
    except privacy.ErasureRefused as refused:
        audit(engine=get_engine(), actor=CLI_ACTOR.name, action="customers.erase",
              target="[erased]", outcome="refused")
        raise fail(f"nothing erased: {refused}") from None
    # The log keeps that an erasure happened and how much it removed, never whom.
    audit(engine=get_engine(), actor=CLI_ACTOR.name, action="customers.erase",
          target="[erased]", detail={"rows": erased.total,
                                     "campaigns": len(erased.campaigns)})
    tables = ", ".join(f"{name} {count}" for name, count in
                       privacy.erased_counts(erased).items())
    typer.echo(f"erased customer {customer_id!r}: {erased.total} rows ({tables}); "
               f"counters of {len(erased.campaigns)} campaigns recomputed")


@customers_app.command()
def export(customer_id: Annotated[str, typer.Argument(help="The customer's id.")],
           out: Annotated[Path, typer.Option("--out", "-o", help="The JSON file to write.")],
           database_url: DatabaseUrl = None) -> None:
    """Write everything held about a customer (right of access) as one JSON file: a list
    of rows per table, raw events of their sends included."""
    from server.auth import CLI_ACTOR
    from server.db.engine import get_engine
    from server.db.repository.audit import audit
    from server.runners import privacy

    use_database(database_url)
    if not out.parent.exists():
        raise fail(f"--out {out}: folder {out.parent} does not exist; create it first")
    try:
        data = privacy.export(get_engine(), customer_id)
    except privacy.NoSuchCustomer as missing:
        raise fail(str(missing)) from None
    out.write_text(json.dumps(data, indent=2, sort_keys=True))
    rows = sum(len(rows) for rows in data["tables"].values())
    audit(engine=get_engine(), actor=CLI_ACTOR.name, action="customers.export",
          target=customer_id, detail={"rows": rows})
    typer.echo(f"customer {customer_id!r}: {rows} rows written to {out}")


def register(app: typer.Typer) -> None:
    app.add_typer(customers_app, name="customers")
