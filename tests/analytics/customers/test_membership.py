"""Membership changes, whole and scoped: scoped steps end where one full step does."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.customers.membership import MembershipChange, membership_change


def s(*ids: str) -> pl.Series:
    return pl.Series("customer_id", list(ids), dtype=pl.String)


def test_golden_full_and_scoped_changes():
    assert membership_change(s("a", "b"), s("b", "c")) == MembershipChange(("c",), ("a",))
    # Only b and c were touched: a keeps its place although it is not in matched.
    assert membership_change(s("a", "b"), s("c"), scope=s("b", "c")) == MembershipChange(
        ("c",), ("b",))


_ids = st.sets(st.sampled_from("abcdefgh"))


@settings(max_examples=200, deadline=None)
@given(start=_ids, truth=_ids, touched=st.lists(_ids, max_size=4))
def test_scoped_steps_covering_the_changed_customers_equal_a_full_step(start, truth,
                                                                       touched):
    # The customers whose status differs must be touched by some step.
    changed = start ^ truth
    steps = [*touched, changed]
    members = set(start)
    for scope in steps:
        change = membership_change(s(*sorted(members)), s(*sorted(truth & scope)),
                                   scope=s(*sorted(scope)))
        members = (members | set(change.entered)) - set(change.left)
    full = membership_change(s(*sorted(start)), s(*sorted(truth)))
    assert members == (set(start) | set(full.entered)) - set(full.left) == truth
