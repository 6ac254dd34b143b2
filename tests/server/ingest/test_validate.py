"""Campaign content in the import: counts taken from the body, template types checked."""

from __future__ import annotations

import polars as pl

from server.ingest import validate_frame

BODY = '<p>Hello</p><a class="btn" href="/x"><img src="x.png"></a><a href="/y">y</a>'


def _campaigns(**columns: list[str | None]) -> pl.DataFrame:
    size = len(next(iter(columns.values())))
    return pl.DataFrame({"campaign_id": [f"c{i}" for i in range(size)],
                         "name": ["n"] * size, **columns})


def test_counts_come_from_the_body_and_are_null_without_one():
    result = validate_frame("campaigns", _campaigns(
        html=[BODY, None], template_type=["single_column", None]))

    assert result.errors == []
    # "Hello y": the visible text; two links, one an image and one styled as a button.
    assert result.valid.select("template_type", "content_length", "link_count",
                               "image_count", "cta_count").rows() == [
        ("single_column", 7, 2, 1, 1), (None, None, None, None, None)]
    # A file without the content columns still gets them (as nulls) for the table.
    plain = validate_frame("campaigns", _campaigns(subject_line=["Hi"])).valid
    assert plain["content_length"].to_list() == [None]


def test_an_unknown_template_type_is_named_with_the_choices():
    result = validate_frame("campaigns", _campaigns(
        template_type=["single_column", "fancy"]), first_row=2)

    assert [(e.row, e.column, e.value) for e in result.errors] == [(3, "template_type",
                                                                   "fancy")]
    message = result.errors[0].message
    assert all(name in message for name in ("plain_text", "single_column", "multi_column",
                                            "product_grid"))
    assert result.valid["campaign_id"].to_list() == ["c0"]


def test_counts_are_not_accepted_from_the_file():
    result = validate_frame("campaigns", _campaigns(link_count=["3"]), first_row=2)
    assert [(e.row, e.column) for e in result.errors] == [(1, "link_count")]
    assert "unknown column 'link_count'" in result.errors[0].message
