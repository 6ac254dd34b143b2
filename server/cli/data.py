"""``mailscope import`` and ``mailscope export``: files in and out, in the documented format."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from server.cli.common import DatabaseUrl, fail, require_hashing_match, use_database

KIND_HELP = ("customers, products, campaigns, variants, messages, events, orders, touchpoints, "
             "behavior or spend")


def import_file(
    kind: Annotated[str, typer.Argument(help=f"What the file holds: {KIND_HELP}.")],
    file: Annotated[Path, typer.Argument(help="A .csv, .parquet or .ndjson file.")],
    format: Annotated[str | None, typer.Option(
        "--format", help="csv, parquet or ndjson (default: from the file suffix).")] = None,
    skip_invalid: Annotated[bool, typer.Option(
        "--skip-invalid", help="Store the valid rows and write the others to a rejects "
                               "file, instead of refusing the whole file.")] = False,
    rejects: Annotated[Path | None, typer.Option(
        help="Where --skip-invalid writes refused rows (default: rejects-KIND.csv).")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Import a file. All-or-nothing by default: any bad row refuses the whole file, and
    every problem is listed with its row, column, value and fix. Re-importing a file
    changes nothing."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from server.auth import CLI_ACTOR
    from server.db.engine import engine_for
    from server.db.repository.audit import audit, import_counts
    from server.ingest import IngestError, ReadError, get_kind, ingest_file

    settings = use_database(database_url)
    try:
        spec = get_kind(kind)
    except ValueError as error:
        raise fail(str(error)) from None
    require_hashing_match(settings)
    rejects_path = rejects or Path(f"rejects-{spec.name}.csv") if skip_invalid else None
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), transient=True) as bars:
        task = bars.add_task(f"importing {spec.name}", total=None)
        try:
            report = ingest_file(
                spec.name, file, fmt=format, engine=engine_for(settings.database_url),
                skip_invalid=skip_invalid, rejects_path=rejects_path,
                progress=lambda done, total: bars.update(
                    task, completed=done, total=total,
                    # Copying ends before checks, attribution and rollups run.
                    description=(f"storing {spec.name}" if done >= total
                                 else f"importing {spec.name}")))
        except (IngestError, ReadError) as error:
            bars.stop()
            audit(engine=engine_for(settings.database_url), actor=CLI_ACTOR.name,
                  action=f"import.{spec.name}", target=file.name, outcome="rejected")
            raise fail(f"{file}: {error}") from None
    audit(engine=engine_for(settings.database_url), actor=CLI_ACTOR.name,
          action=f"import.{spec.name}", target=file.name, detail=import_counts(report))
    typer.echo(report.summary())
    if report.rejected:
        raise typer.Exit(2)


def export_dataset(
    dataset: Annotated[str, typer.Argument(
        help=f"What to export: {KIND_HELP}, or scores (the published model scores).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write.")],
    format: Annotated[str | None, typer.Option(
        "--format", help="csv, parquet or arrow (Arrow IPC stream; default: from the "
                         "output suffix).")] = None,
    since: Annotated[int | None, typer.Option(
        "--since", help="Only rows stored after this cursor (events; 0 for all), with an "
                        "ingest_seq column; prints the next cursor.")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Export a data set with the import column names, so the file re-imports unchanged."""
    from server.db.engine import engine_for
    from server.export import EXPORT_FORMATS, export_frame, next_cursor, write_export
    from server.ingest.kinds import get_kind

    if dataset.strip().lower() == "scores":
        from server.cli.predictions import export_scores

        fmt = (format or output.suffix.lstrip(".")).lower()
        if fmt not in ("csv", "parquet"):
            raise fail(f"cannot export scores as {fmt or output.name!r}: pass --format csv "
                       "or --format parquet, or name the output .csv or .parquet")
        if not output.parent.exists():
            raise fail(f"-o {output}: folder {output.parent} does not exist; create it first")
        export_scores(output, fmt, database_url)
        return
    settings = use_database(database_url)
    try:  # the data set first: a wrong name is the mistake to report, not the suffix
        get_kind(dataset)
    except ValueError as error:
        raise fail(str(error)) from None
    fmt = (format or output.suffix.lstrip(".")).lower()
    if fmt not in EXPORT_FORMATS:
        given = f"format {fmt!r}" if fmt else f"-o {output} (no suffix)"
        raise fail(f"cannot export as {given}: pass --format csv, parquet or arrow, or "
                   "name the output .csv, .parquet or .arrow")
    if not output.parent.exists():
        raise fail(f"-o {output}: folder {output.parent} does not exist; create it first")
    try:
        frame = export_frame(dataset, engine=engine_for(settings.database_url), since=since)
    except ValueError as error:
        raise fail(str(error)) from None
    write_export(frame, output, fmt)
    typer.echo(f"{dataset}: {frame.height:,} rows written to {output}")
    if since is not None:
        typer.echo(f"next cursor: {next_cursor(frame, since)}")


def register(app: typer.Typer) -> None:
    app.command(name="import")(import_file)
    app.command(name="export")(export_dataset)
