"""``mailscope attribute FILE``: the attribution models on a path file from any tool."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from server.cli.common import fail

if TYPE_CHECKING:
    import polars as pl

    from server.runners.attribution import ModelParams

FORMATS = ("table", "csv", "json")
_FILE_HELP = ("Path file, one 'path;total_conversions;total_conversion_value;total_null' per "
              "line, steps joined by ' > ' (e.g. 'email > paid > web;120;5400.0;880'); a header "
              "row is optional. '-' reads standard input.")


def attribute_file(
    file: Annotated[Path, typer.Argument(help=_FILE_HELP, show_default=False)],
    model: Annotated[list[str], typer.Option(
        "--model", "-m", help="first_touch, last_touch, linear, position_based, markov, "
                              "shapley, or all; repeat for several.", show_default=False)],
    format: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="File to write (default: standard output).")] = None,
    position_weights: Annotated[str, typer.Option(
        "--position-weights", help="position_based first,middle,last shares summing to "
                                   "1.")] = "0.4,0.2,0.4",
) -> None:
    """Run attribution models on aggregated paths and print each channel's conversions,
    value and share of conversions. Totals are exact: every model hands out all of the
    file's conversions and value."""
    from analytics.attribution import MODEL_NAMES, parse_paths_text
    from server.runners.attribution import attribution_rows

    fmt = format.lower()
    if fmt not in FORMATS:
        raise fail(f"--format {format!r} is unknown: use table, csv or json")
    path_models = [name for name in MODEL_NAMES if name != "time_decay"]
    models = _models(model, path_models)
    params = _params(position_weights)
    if output is not None and not output.parent.exists():
        raise fail(f"-o {output}: folder {output.parent} does not exist; create it first")
    text = _read(file)
    try:
        paths = parse_paths_text(text)
    except ValueError as error:
        raise fail(f"{file}: {error}") from None
    if paths.is_empty():
        raise fail(f"{file}: no paths found; write one path per line, e.g. "
                   "'email > paid > web;120;5400.0;880'")
    rows = attribution_rows(paths, models, key=None, params=params).select(
        "model", "conversions", "share", channel="key", value="revenue").select(
        "model", "channel", "conversions", "value", "share")
    body = _render(rows, fmt)
    if output is None:
        typer.echo(body, nl=False)
        return
    output.write_text(body)
    typer.echo(f"{rows.height} rows ({len(models)} models) written to {output}")


def _models(names: list[str], path_models: list[str]) -> list[str]:
    chosen: list[str] = []
    for name in names:
        name = name.strip().lower().replace("-", "_")
        if name == "all":
            picked = path_models
        elif name == "time_decay":
            raise fail("--model time_decay needs each touch's time, which path files do not "
                       "hold; pick another model (the GraphQL attribution query runs "
                       "time_decay on stored journeys)")
        elif name in path_models:
            picked = [name]
        else:
            raise fail(f"--model {name!r} is unknown: use one of {', '.join(path_models)} "
                       "or all")
        chosen.extend(m for m in picked if m not in chosen)
    return chosen


def _params(text: str) -> ModelParams:
    from server.runners.attribution import ModelParams

    try:
        first, middle, last = (float(part) for part in text.split(","))
        params = ModelParams(position_weights=(first, middle, last))
        params.validate()
    except ValueError:
        raise fail(f"--position-weights {text!r}: give three shares >= 0 that sum to 1, "
                   "e.g. 0.4,0.2,0.4") from None
    return params


def _read(file: Path) -> str:
    if str(file) == "-":
        return sys.stdin.read()
    if not file.is_file():
        raise fail(f"{file}: no such file; give the path of a path file")
    try:
        return file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise fail(f"{file}: byte {error.start} is not UTF-8; save the file as UTF-8") from None


def _render(rows: pl.DataFrame, fmt: str) -> str:
    if fmt == "csv":
        return rows.write_csv()
    if fmt == "json":
        return json.dumps(rows.to_dicts(), indent=2) + "\n"
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Attribution by channel")
    for name in ("Model", "Channel", "Conversions", "Value", "Share"):
        table.add_column(name, justify="left" if name in ("Model", "Channel") else "right")
    for row in rows.iter_rows(named=True):
        share = "—" if row["share"] is None else f"{row['share']:.1%}"
        table.add_row(row["model"], row["channel"], f"{row['conversions']:,.2f}",
                      f"{row['value']:,.2f}", share)
    buffer = io.StringIO()
    Console(file=buffer, width=100, color_system=None).print(table)
    # rich pads the centred title; trailing blanks only get in the way of diffs and greps
    return "".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines())


def register(app: typer.Typer) -> None:
    app.command(name="attribute")(attribute_file)
