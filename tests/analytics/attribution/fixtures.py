"""Literal touches and orders shared by the journey, summary and model tests.

Days are March 2024. Lookback 30 days. What each row is for:

c1  Mar 1 09:00 email open "spring"  } same instant: ordered by channel, email first
    Mar 1 09:00 paid                 }
    Mar 3 email delivered "spring"
    Mar 5 web
    order o1 Mar 6 (50.0)           -> journey [email, paid, email, web]
    Mar 8 email click "summer"
    order o2 Mar 10 (20.0)          -> journey [email]: cut at o1, Mar 1-5 are o1's
    Mar 20 web                      -> non-converting window starting Mar 20
    Apr 24 paid                     -> 35 days later: a second non-converting window
c2  Mar 1 social                    -> 44 days before o3: too old, non-converting
    Apr 10 email open "summer"
    order o3 Apr 15 (80.0)          -> journey [email]
c3  Mar 1 web
    orders o4 and o5 both Mar 2     -> o4 (smaller id) gets [web], o5 gets []
c4  Mar 1 email "bounce"            -> not an email kind: dropped, no journey at all
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from analytics.attribution import CONVERSIONS_SCHEMA, TOUCHES_SCHEMA


def at(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2024, month, day, hour, tzinfo=UTC)


TOUCHES = pl.DataFrame(
    [
        ("c1", at(3, 1, 9), "paid", None, "paid"),
        ("c1", at(3, 1, 9), "email", "spring", "open"),
        ("c1", at(3, 3), "email", "spring", "delivered"),
        ("c1", at(3, 5), "web", None, "web"),
        ("c1", at(3, 8), "email", "summer", "click"),
        ("c1", at(3, 20), "web", None, "web"),
        ("c1", at(4, 24), "paid", None, "paid"),
        ("c2", at(3, 1), "social", None, "social"),
        ("c2", at(4, 10), "email", "summer", "open"),
        ("c3", at(3, 1), "web", None, "web"),
        ("c4", at(3, 1), "email", "spring", "bounce"),
    ],
    schema=TOUCHES_SCHEMA,
    orient="row",
)

ORDERS = pl.DataFrame(
    [
        ("o1", "c1", at(3, 6), 50.0),
        ("o2", "c1", at(3, 10), 20.0),
        ("o3", "c2", at(4, 15), 80.0),
        ("o5", "c3", at(3, 2), 5.0),
        ("o4", "c3", at(3, 2), 10.0),
    ],
    schema=CONVERSIONS_SCHEMA,
    orient="row",
)
