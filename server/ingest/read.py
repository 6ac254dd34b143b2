"""Reading an import file (CSV, Parquet or NDJSON) into a frame, without guessing types.

CSV and NDJSON values are read as text so validation sees exactly what the user wrote
(a mistyped date stays a string that gets a clear error, not a silently dropped value).
Parquet keeps its own types; the converters accept both.
"""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl

FORMATS = ("csv", "parquet", "ndjson")
_SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".ndjson": "ndjson",
             ".jsonl": "ndjson", ".json": "ndjson"}


class ReadError(ValueError):
    """The file could not be read at all (wrong format, broken encoding, empty)."""


def detect_format(name: str, given: str | None = None) -> str:
    """The format named by ``given`` or by the file name's suffix."""
    if given:
        fmt = given.lower().lstrip(".")
        if fmt == "jsonl":
            fmt = "ndjson"
        if fmt not in FORMATS:
            raise ReadError(f"unknown format {given!r}: use one of {', '.join(FORMATS)}")
        return fmt
    suffix = Path(name).suffix.lower()
    if suffix not in _SUFFIXES:
        raise ReadError(f"cannot tell the format of {name!r} from its suffix: name it .csv, "
                        ".parquet or .ndjson, or pass the format explicitly")
    return _SUFFIXES[suffix]


def first_row_number(fmt: str) -> int:
    """The number the first record gets in error messages: its line in a CSV file (line 1
    is the header), its line in an NDJSON file, its position in a Parquet file."""
    return 2 if fmt == "csv" else 1


def _as_text(frame: pl.DataFrame) -> pl.DataFrame:
    columns = []
    for name, dtype in frame.schema.items():
        if dtype == pl.String:
            columns.append(pl.col(name))
        elif isinstance(dtype, pl.List | pl.Struct | pl.Array):
            columns.append(pl.col(name).map_elements(_json_text, return_dtype=pl.String)
                           .alias(name))
        elif dtype == pl.Boolean:
            columns.append(pl.col(name).cast(pl.String).str.to_lowercase())
        else:
            columns.append(pl.col(name).cast(pl.String))
    return frame.select(columns)


def _json_text(value: object) -> str:
    import json

    if isinstance(value, pl.Series):
        value = value.to_list()
    return json.dumps(value, default=str)


# No kind has more than a few dozen columns; a wider header is a wrong file (or an attack
# on the parser), refused before polars builds a column for each field.
MAX_CSV_COLUMNS = 1000


def _check_header_width(data: bytes) -> None:
    end = data.find(b"\n")
    header = data if end < 0 else data[:end]
    width = header.count(b",") + 1
    if width > MAX_CSV_COLUMNS:
        raise ReadError(f"the header line has {width:,} columns; a file has at most "
                        f"{MAX_CSV_COLUMNS:,}: check that this is the right file")


def read_bytes(data: bytes, fmt: str) -> pl.DataFrame:
    """The records in ``data`` (a whole file in format ``fmt``)."""
    if not data.strip():
        raise ReadError("the file is empty: it needs a header line and at least one row")
    if fmt == "csv":
        _check_header_width(data)
    try:
        if fmt == "csv":
            return pl.read_csv(io.BytesIO(data), infer_schema=False, encoding="utf8")
        if fmt == "parquet":
            return pl.read_parquet(io.BytesIO(data))
        return _as_text(pl.read_ndjson(io.BytesIO(data), infer_schema_length=None))
    except (pl.exceptions.PolarsError, OSError, ValueError) as error:
        hint = ""
        if "utf-8" in str(error).lower() or "utf8" in str(error).lower():
            hint = (" (the file is not UTF-8: save it as UTF-8, e.g. from Latin-1 or UTF-16 "
                    "with `iconv -t UTF-8`)")
        raise ReadError(f"could not read the file as {fmt}: {error}{hint}") from None


def read_table(path: str | Path, fmt: str | None = None) -> tuple[pl.DataFrame, int]:
    """The records of the file at ``path`` and the row number of its first record."""
    path = Path(path)
    fmt = detect_format(path.name, fmt)
    if not path.is_file():
        raise ReadError("no such file: check the path")
    if fmt == "parquet":
        try:
            return pl.read_parquet(path), first_row_number(fmt)
        except (pl.exceptions.PolarsError, OSError) as error:
            raise ReadError(f"could not read {path} as parquet: {error}") from None
    return read_bytes(path.read_bytes(), fmt), first_row_number(fmt)
