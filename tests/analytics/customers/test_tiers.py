"""Value tiers: golden shares, ties together, every buyer exactly one tier."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.customers.tiers import VALUE_TIERS, value_tiers


def test_golden_tiers_of_twenty_customers():
    profiles = pl.DataFrame({"customer_id": [f"c{i:02d}" for i in range(21)],
                             "purchases": [1] * 20 + [0],
                             "lifetime_revenue": [float(100 - i) for i in range(20)] + [0.0]})
    tiers = value_tiers(profiles)
    assert tiers["value_tier"].to_list() == ["high"] * 2 + ["medium"] * 6 + ["low"] * 12
    assert "c20" not in tiers["customer_id"].to_list()  # no orders, no tier


def test_ties_share_a_tier():
    profiles = pl.DataFrame({"customer_id": ["a", "b", "c"], "purchases": [1, 1, 1],
                             "lifetime_revenue": [5.0, 5.0, 5.0]})
    assert value_tiers(profiles)["value_tier"].to_list() == ["high"] * 3


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.floats(0, 1e4)), max_size=60))
def test_every_buyer_has_one_tier_and_more_revenue_never_ranks_lower(rows):
    profiles = pl.DataFrame({"customer_id": [f"c{i:03d}" for i in range(len(rows))],
                             "purchases": [r[0] for r in rows],
                             "lifetime_revenue": [r[1] for r in rows]},
                            schema={"customer_id": pl.String, "purchases": pl.Int64,
                                    "lifetime_revenue": pl.Float64})
    tiers = value_tiers(profiles).join(profiles, on="customer_id")
    assert tiers.height == sum(1 for r in rows if r[0] > 0)
    order = {tier: index for index, tier in enumerate(VALUE_TIERS)}
    ranked = tiers.sort("lifetime_revenue", descending=True)["value_tier"].to_list()
    assert [order[t] for t in ranked] == sorted(order[t] for t in ranked)
