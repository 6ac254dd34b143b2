"""Rules compiled to polars agree with the per-customer "why"."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.customers.expressions import (
    BoolOp,
    Compare,
    InList,
    IsNull,
    IsTrue,
    Node,
    Not,
    parse,
)
from analytics.customers.rules import PROFILE_FIELDS, Reason, explain, holds, members, to_polars

PROFILES = pl.DataFrame({
    "customer_id": ["a", "b", "c", "d"],
    "open_rate_90d": [0.5, 0.1, None, 0.3],
    "days_since_last_purchase": [10.0, 5.0, 30.0, None],
    "country": ["US", "CA", "US", None],
    "opted_out": [False, False, True, False],
})


def test_the_issue_example_selects_the_expected_customers():
    node = parse('open_rate_90d >= 0.3 and days_since_last_purchase < 60 and '
                 'country in ["US","CA"]', PROFILE_FIELDS)
    assert members(PROFILES, node).to_list() == ["a"]


def test_missing_values_do_not_hold_and_not_turns_them_true():
    assert members(PROFILES, parse("open_rate_90d < 0.2", PROFILE_FIELDS)).to_list() == ["b"]
    assert members(PROFILES, parse("not open_rate_90d < 0.2",
                                   PROFILE_FIELDS)).to_list() == ["a", "c", "d"]
    assert members(PROFILES, parse("country not in ['US']", PROFILE_FIELDS)).to_list() == ["b"]
    assert members(PROFILES, parse("country is null or opted_out",
                                   PROFILE_FIELDS)).to_list() == ["c", "d"]


def test_why_lists_each_condition_with_its_values():
    node = parse('open_rate_90d >= 0.3 and days_since_last_purchase < 60 and '
                 'country in ["US","CA"]', PROFILE_FIELDS)
    row = PROFILES.row(3, named=True)
    why = explain(node, row)
    assert why.matches is False
    assert why.reasons == (
        Reason("open_rate_90d >= 0.3", {"open_rate_90d": 0.3}, True),
        Reason("days_since_last_purchase < 60", {"days_since_last_purchase": None}, False),
        Reason('country in ["US", "CA"]', {"country": None}, False),
    )


_NUMBER_FIELDS = ("open_rate_90d", "days_since_last_purchase")
_leaf = st.one_of(
    st.builds(Compare, st.sampled_from(_NUMBER_FIELDS),
              st.sampled_from(["==", "!=", "<", "<=", ">", ">="]),
              st.sampled_from([0.0, 0.1, 0.3, 5.0, 10.0, 30.0])),
    st.builds(InList, st.just("country"),
              st.lists(st.sampled_from(["US", "CA", "FR"]), min_size=1, max_size=3)
              .map(tuple), st.booleans()),
    st.builds(IsNull, st.sampled_from([*_NUMBER_FIELDS, "country"]), st.booleans()),
    st.just(IsTrue("opted_out")),
)


def _tree(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    return st.one_of(st.builds(Not, children),
                     st.builds(BoolOp, st.sampled_from(["and", "or"]),
                               st.lists(children, min_size=2, max_size=3).map(tuple)))


@settings(max_examples=200, deadline=None)
@given(st.recursive(_leaf, _tree, max_leaves=6))
def test_the_polars_filter_and_the_explanation_agree(node):
    selected = set(PROFILES.filter(to_polars(node))["customer_id"].to_list())
    for row in PROFILES.rows(named=True):
        assert (row["customer_id"] in selected) == holds(node, row)
        assert explain(node, row).matches == holds(node, row)
