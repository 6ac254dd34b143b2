from __future__ import annotations

import importlib

import polars as pl
import pytest
from hypothesis import given
from polars.testing import assert_frame_equal

from analytics.attribution import ATTRIBUTION_SCHEMA, PATHS_SCHEMA, markov
from tests.analytics.attribution.strategies import SETTINGS, path_frames

# the package exports the function under the module's name
markov_module = importlib.import_module("analytics.attribution.markov")

# 4 journeys, 2 conversions worth 200.0 (mean order value 100.0)
PATHS = pl.DataFrame(
    [
        (["email", "web"], 1.0, 50.0, 1.0),  # X: two journeys, one converts
        (["web"], 1.0, 150.0, 0.0),  # Y
        (["email"], 0.0, 0.0, 1.0),  # Z
    ],
    schema=PATHS_SCHEMA,
    orient="row",
)


def test_first_order_chain_by_hand() -> None:
    """Counts: start->email 3 (X twice, Z), start->web 1 (Y); email->web 2, email->null 1;
    web->conv 2 (X, Y), web->null 1 (X).

        P(conv) = 3/4 * 2/3 * 2/3 + 1/4 * 2/3 = 1/3 + 1/6 = 1/2   (observed: 2 of 4)
        without email: 1/4 * 2/3 = 1/6   -> removal effect 1 - (1/6)/(1/2) = 2/3
        without web:   0                 -> removal effect 1
        conversions: 2 * (2/3) / (5/3) = 0.8 email, 2 * 1 / (5/3) = 1.2 web

    Revenue chain: converting journeys weigh their value (X 50, Y 150), non-converting
    ones the mean order value 100: start->email 150 + 100 = 250, start->web 150;
    email->web 150, email->null 100; web->conv 200, web->null 100.

        P(conv) = 5/8 * 3/5 * 2/3 + 3/8 * 2/3 = 1/4 + 1/4 = 1/2
        without email: 3/8 * 2/3 = 1/4   -> removal effect 1/2
        without web:   0                 -> removal effect 1
        revenue: 200 * (1/2) / (3/2) = 200/3 email, 200 * 1 / (3/2) = 400/3 web
    """
    expected = pl.DataFrame(
        [("email", 0.8, 200 / 3, 0.4), ("web", 1.2, 400 / 3, 0.6)],
        schema=ATTRIBUTION_SCHEMA,
        orient="row",
    )
    assert_frame_equal(markov(PATHS), expected, check_exact=False, rel_tol=1e-12)


def test_second_order_chain_by_hand() -> None:
    """States are the last two steps: (email), (email, web), (web).
    start->(email) 3, start->(web) 1; (email)->(email, web) 2, (email)->null 1;
    (email, web)->conv 1, ->null 1; (web)->conv 1.

        P(conv) = 3/4 * 2/3 * 1/2 + 1/4 * 1 = 1/2
        without email, i.e. (email) and (email, web): 1/4   -> removal effect 1/2
        without web, i.e. (email, web) and (web):     0     -> removal effect 1
        conversions: 2 * (1/2) / (3/2) = 2/3 email, 4/3 web

    Revenue weights as in the first-order test: start->(email) 250, start->(web) 150;
    (email)->(email, web) 150, ->null 100; (email, web)->conv 50, ->null 100;
    (web)->conv 150.

        P(conv) = 5/8 * 3/5 * 1/3 + 3/8 = 1/8 + 3/8 = 1/2
        without email: 3/8   -> removal effect 1/4;  without web: 0 -> 1
        revenue: 200 * (1/4) / (5/4) = 40 email, 160 web
    """
    expected = pl.DataFrame(
        [("email", 2 / 3, 40.0, 1 / 3), ("web", 4 / 3, 160.0, 2 / 3)],
        schema=ATTRIBUTION_SCHEMA,
        orient="row",
    )
    assert_frame_equal(markov(PATHS, order=2), expected, check_exact=False, rel_tol=1e-12)


def test_no_conversions_credit_nothing() -> None:
    lost = PATHS.with_columns(conversions=pl.lit(0.0), value=pl.lit(0.0))
    result = markov(lost)
    assert result["conversions"].to_list() == [0.0, 0.0]
    assert result["share"].to_list() == [None, None]


@pytest.mark.parametrize("order", [0, 1.5, True])
def test_order_must_be_a_positive_integer(order: object) -> None:
    with pytest.raises(ValueError, match="order must be an integer >= 1"):
        markov(PATHS, order=order)  # type: ignore[arg-type]


def test_sparse_solver_agrees_with_dense(monkeypatch: pytest.MonkeyPatch) -> None:
    channels = [f"ch{i:02d}" for i in range(12)]
    rows = [
        (
            [channels[(i * 7 + j) % 12] for j in range(1 + i % 5)],
            float(i % 3),
            10.0 * (i % 3),
            float(1 + i % 4),
        )
        for i in range(300)
    ]
    paths = pl.DataFrame(rows, schema=PATHS_SCHEMA, orient="row")
    dense = markov(paths, order=2)
    monkeypatch.setattr(markov_module, "_DENSE_CELLS", 0)
    sparse = markov(paths, order=2)
    assert_frame_equal(sparse, dense, check_exact=False, rel_tol=1e-9)
    assert sparse["conversions"].sum() == pytest.approx(paths["conversions"].sum(), rel=1e-9)


@SETTINGS
@given(paths=path_frames())
def test_repeated_steps_do_not_change_first_order_credit(paths: pl.DataFrame) -> None:
    # a repeated step is a self-loop: it delays absorption but never changes it
    doubled = paths.with_columns(pl.col("path").list.eval(pl.element().repeat_by(2).explode()))
    assert_frame_equal(markov(doubled), markov(paths), check_exact=False, rel_tol=1e-9)
