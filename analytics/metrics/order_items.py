"""Orders' ``items`` JSON (a list of objects with ``product_id`` and optionally
``quantity`` and ``price``) decoded into a list of structs, for the features and
recommendations built from what customers bought."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import partial
from typing import Any

import polars as pl


def item_type(numbers: Sequence[str] = ()) -> pl.List:
    """The decoded column's type: ``product_id`` (text) and each of ``numbers`` (float)."""
    return pl.List(pl.Struct({"product_id": pl.String(),
                              **{name: pl.Float64() for name in numbers}}))


def _lenient(text: str | None, numbers: tuple[str, ...]) -> list[dict[str, Any]]:
    """The lines of one order's JSON, skipping what is not an object with a product id;
    a number field that is not a number reads as null."""
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    if not isinstance(value, list):
        return []
    lines = []
    for item in value:
        if not isinstance(item, dict) or item.get("product_id") is None:
            continue
        line: dict[str, Any] = {"product_id": str(item["product_id"])}
        for name in numbers:
            number = item.get(name)
            line[name] = (float(number) if isinstance(number, int | float)
                          and not isinstance(number, bool) else None)
        lines.append(line)
    return lines


def decode_items(frame: pl.DataFrame, numbers: Sequence[str] = ()) -> pl.DataFrame:
    """``frame`` with its ``items`` column decoded (``item_type(numbers)``): in one
    vectorised pass when every value is valid JSON of that shape, else order by order,
    leniently (an order whose items are not a JSON list gives an empty list)."""
    dtype = item_type(numbers)
    try:
        return frame.with_columns(pl.col("items").str.json_decode(dtype))
    except pl.exceptions.PolarsError:
        return frame.with_columns(pl.col("items").map_elements(
            partial(_lenient, numbers=tuple(numbers)), return_dtype=dtype))
