"""Orders' items JSON decoded: vectorised when valid, leniently line by line otherwise."""

from __future__ import annotations

import polars as pl

from analytics.metrics.order_items import decode_items, item_type


def _frame(*texts: str | None) -> pl.DataFrame:
    return pl.DataFrame({"items": list(texts)}, schema={"items": pl.String()})


def test_valid_json_keeps_every_line_and_the_asked_numbers():
    decoded = decode_items(_frame('[{"product_id": "p1", "quantity": 2, "price": 9.5}]',
                                  None), ("quantity", "price"))

    assert decoded.schema["items"] == item_type(("quantity", "price"))
    assert decoded["items"].to_list() == [
        [{"product_id": "p1", "quantity": 2.0, "price": 9.5}], None]


def test_bad_orders_give_no_lines_and_bad_lines_are_skipped():
    decoded = decode_items(_frame(
        "not json", '{"product_id": "p1"}',
        '[{"product_id": 7, "quantity": "two"}, {"quantity": 1}, "p3", {"product_id": "p4"}]'),
        ("quantity",))

    assert decoded["items"].to_list() == [
        [], [], [{"product_id": "7", "quantity": None},
                 {"product_id": "p4", "quantity": None}]]


def test_without_numbers_only_the_product_ids_are_kept():
    decoded = decode_items(_frame('[{"product_id": "p1", "price": 3}]', "[1, 2]"))

    assert decoded["items"].to_list() == [[{"product_id": "p1"}], []]
