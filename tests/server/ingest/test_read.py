"""Reading import files: formats, row numbering, and what the user wrote kept as text."""

from __future__ import annotations

import io
from datetime import date

import polars as pl
import pytest

from server.ingest import ReadError, detect_format, read_bytes, read_table, validate_frame
from server.ingest.read import first_row_number


def test_csv_values_stay_text_so_errors_quote_them() -> None:
    frame = read_bytes(b"campaign_id,name,send_at\n007,Spring,2026-03-01\n", "csv")
    assert frame.schema == {"campaign_id": pl.String, "name": pl.String,
                            "send_at": pl.String}
    assert frame.row(0) == ("007", "Spring", "2026-03-01")


def test_ndjson_numbers_booleans_and_arrays_become_text() -> None:
    data = (b'{"order_id": "o1", "amount": 19.5, "items": [{"product_id": "p1"}]}\n'
            b'{"order_id": "o2", "amount": 3, "flag": true}\n')
    frame = read_bytes(data, "ndjson")
    assert frame.get_column("amount").to_list() == ["19.5", "3.0"]
    assert frame.get_column("items").to_list()[0] == '[{"product_id": "p1"}]'
    assert frame.get_column("flag").to_list() == [None, "true"]


def test_parquet_keeps_types_and_validates(tmp_path) -> None:
    path = tmp_path / "spend.parquet"
    pl.DataFrame({"spend_id": ["s1"], "incurred_on": [date(2026, 3, 1)],
                  "category": ["paid"], "amount": [12.5], "currency": ["usd"]}).write_parquet(
        path)
    frame, first = read_table(path)
    assert first == 1
    result = validate_frame("spend", frame, first_row=first)
    assert result.errors == []
    assert result.valid.get_column("currency").to_list() == ["USD"]


@pytest.mark.parametrize(("name", "given", "expected"), [
    ("a.csv", None, "csv"), ("a.CSV", None, "csv"), ("a.jsonl", None, "ndjson"),
    ("a.pq", None, "parquet"), ("a.txt", "csv", "csv"), ("a", "JSONL", "ndjson")])
def test_detect_format(name: str, given: str | None, expected: str) -> None:
    assert detect_format(name, given) == expected


def test_unknown_format_and_empty_file_are_explained(tmp_path) -> None:
    with pytest.raises(ReadError, match="cannot tell the format of 'a.txt'"):
        detect_format("a.txt")
    with pytest.raises(ReadError, match="unknown format 'xlsx'"):
        detect_format("a.csv", "xlsx")
    with pytest.raises(ReadError, match="the file is empty"):
        read_bytes(b"  \n", "csv")
    with pytest.raises(ReadError, match="no such file"):
        read_table(tmp_path / "missing.csv")
    with pytest.raises(ReadError, match="could not read the file as parquet"):
        read_bytes(b"not parquet", "parquet")


def test_row_numbers_follow_the_file() -> None:
    assert (first_row_number("csv"), first_row_number("ndjson"),
            first_row_number("parquet")) == (2, 1, 1)
    frame = read_bytes(io.BytesIO(b"customer_id,email\nu1,a@b.co\nu2,nope\n").getvalue(), "csv")
    errors = validate_frame("customers", frame, first_row=2).errors
    assert [(e.row, e.column, e.value) for e in errors] == [(3, "email", "nope")]
