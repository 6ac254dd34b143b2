"""``mailscope demo``: generate the demo data set, load it, and optionally write its truth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from server.cli.common import DatabaseUrl, fail, use_database


def demo(
    customers: Annotated[int, typer.Option(min=1, help="Number of customers.")] = 20000,
    campaigns: Annotated[int | None, typer.Option(
        min=1, help="Number of campaigns (default: one every three days).")] = None,
    days: Annotated[int, typer.Option(min=14, help="Days of history before the fixed end "
                                                   "date 2026-11-01.")] = 180,
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same data.")] = 7,
    truth: Annotated[Path | None, typer.Option(
        help="Write the ground-truth JSON (parameters and true rates) to this file.")] = None,
    if_empty: Annotated[bool, typer.Option(
        "--if-empty", help="Load only when the database has no campaigns.")] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Load the deterministic demo data set (customers, campaigns, sends, events, orders,
    touchpoints, web behaviour, spend) through the regular ingestion path."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TimeElapsedColumn

    from server.db.engine import engine_for
    from server.demo import database_is_empty, load_demo

    settings = use_database(database_url)
    engine = engine_for(settings.database_url)
    if if_empty and not database_is_empty(engine):
        typer.echo("database already has campaigns: demo not loaded")
        return
    if truth is not None and not truth.parent.exists():
        raise fail(f"--truth {truth}: folder {truth.parent} does not exist; create it first")
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn()) as bars:
        tasks: dict[str, TaskID] = {}

        def progress(kind: str, done: int, total: int) -> None:
            if kind not in tasks:
                tasks[kind] = bars.add_task(kind, total=total)
            bars.update(tasks[kind], completed=done)

        data = load_demo(engine, customers=customers, campaigns=campaigns, days=days,
                         seed=seed, progress=progress)
    for kind, count in data.counts().items():
        typer.echo(f"{kind:<12} {count:>10,}")
    if truth is not None:
        truth.write_text(json.dumps(data.truth, indent=2, ensure_ascii=False) + "\n")
        typer.echo(f"truth written to {truth}")


def register(app: typer.Typer) -> None:
    app.command(name="demo")(demo)
