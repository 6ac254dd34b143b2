"""Per-customer counting over dense codes: golden values, and each fast path against a
straightforward reference."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from unittest import mock

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.customers import codes
from analytics.customers.codes import (
    NO_TIME,
    CustomerCodes,
    by_customer_then_time,
    epoch_us,
    latest,
    most_frequent,
    numbered,
    rate,
    slices,
    times,
    top_three,
)

KEYS = CustomerCodes(pl.Series(["b", "a", None, "b", "c"]))


def test_codes_are_dense_in_first_seen_order_and_unknown_rows_are_dropped():
    assert KEYS.n == 3
    rows = KEYS.coded(pl.DataFrame({"customer_id": ["c", "zz", "a", None, "b"],
                                    "x": [1, 2, 3, 4, 5]}), "x")
    assert rows.rows() == [(2, 1), (1, 3), (0, 5)]
    assert KEYS.count(rows["code"].to_numpy()).tolist() == [1, 1, 1]
    assert KEYS.count(rows["code"].to_numpy(), rows["x"].to_numpy() * 1.0).tolist() == [
        5.0, 3.0, 1.0]


def test_times_rates_and_the_latest():
    at = epoch_us(datetime(2026, 6, 1, 12, tzinfo=UTC))
    assert at == 1_780_315_200_000_000
    assert epoch_us(datetime(2026, 6, 1, 12)) == at  # naive reads as UTC
    found = latest(KEYS, (np.array([0, 0, 2]), np.array([5, 9, 7])), (np.array([0]),
                                                                      np.array([6])))
    assert found.tolist() == [9, NO_TIME, 7]
    assert times(np.array([at, NO_TIME])).to_list() == [
        datetime(2026, 6, 1, 12, tzinfo=UTC), None]
    assert rate(np.array([1, 0, 3]), np.array([4, 0, 3])).to_list() == [0.25, None, 1.0]
    assert most_frequent(np.array([[0, 2, 2], [0, 0, 0], [1, 0, 0]])).to_list() == [
        1, None, 0]


def test_strings_are_numbered_alphabetically():
    number, names = numbered(pl.Series(["shoes", None, "bags", "shoes", "hats"]))
    assert number.tolist() == [2, -1, 0, 2, 1]
    assert names.to_list() == ["bags", "hats", "shoes"]
    number, names = numbered(pl.Series([None, None], dtype=pl.String))
    assert number.tolist() == [-1, -1] and names.to_list() == []


def _reference_top_three(customers: int, pairs: list[tuple[int, int]]) -> list[list[int]]:
    top = [[-1] * customers for _ in range(3)]
    for customer in range(customers):
        counts = Counter(value for code, value in pairs if code == customer)
        for rank, value in enumerate(sorted(counts, key=lambda v: (-counts[v], v))[:3]):
            top[rank][customer] = value
    return top


def test_top_three_golden():
    # customer 0: value 2 twice, 0 and 1 once (tie to the smaller); customer 1: none;
    # customer 2: value 1 once
    code, value = np.array([0, 0, 0, 2, 0]), np.array([2, 1, 2, 1, 0])
    expected = [[2, -1, 1], [0, -1, -1], [1, -1, -1]]
    assert [row.tolist() for row in top_three(KEYS, code, value, 3)] == expected
    with mock.patch.object(codes, "MATRIX_CELLS", -1):
        assert [row.tolist() for row in top_three(KEYS, code, value, 3)] == expected


@settings(max_examples=60, deadline=None)
@given(pairs=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 5)), max_size=60),
       kinds=st.integers(6, 8))
def test_top_three_dense_and_sparse_match_the_reference(pairs, kinds):
    keys = CustomerCodes(pl.Series([str(n) for n in range(5)]))
    code = np.array([p[0] for p in pairs], dtype=np.int64)
    value = np.array([p[1] for p in pairs], dtype=np.int64)
    expected = _reference_top_three(5, pairs)
    assert [row.tolist() for row in top_three(keys, code, value, kinds)] == expected
    with mock.patch.object(codes, "MATRIX_CELLS", -1):
        assert [row.tolist() for row in top_three(keys, code, value, kinds)] == expected


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(st.integers(0, 3), st.integers(-2**60, 2**60)),
                     max_size=40),
       narrow=st.booleans())
def test_rows_in_customer_then_time_order(rows, narrow):
    code = np.array([r[0] for r in rows], dtype=np.int64)
    # narrow times take the one-key sort, the full range the two-key one
    at = np.array([r[1] // 2**40 if narrow else r[1] for r in rows], dtype=np.int64)
    order = by_customer_then_time(code, at, 4)
    assert sorted(order.tolist()) == list(range(len(rows)))
    assert list(zip(code[order].tolist(), at[order].tolist(), strict=True)) == sorted(
        zip(code.tolist(), at.tolist(), strict=True))


def test_slices():
    frame = pl.DataFrame({"x": range(5)})
    with mock.patch.object(codes, "SLICE_ROWS", 2):
        assert [part["x"].to_list() for part in slices(frame)] == [[0, 1], [2, 3], [4]]
        assert [part.height for part in slices(frame.clear())] == [0]
