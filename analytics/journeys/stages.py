"""The journey stage of one customer from their timeline, by documented rules.

The timeline has one row per thing that happened (``TIMELINE_SCHEMA``): ``at``,
``source`` (email, touchpoint, behavior, order), ``action`` (email_sent, email_open,
email_click, email_unsubscribe, touch_<channel>, the behaviour type, order) and
``detail``. The first rule that holds at ``as_of`` names the stage:

1. ``win_back``: has ordered, and the last order is more than 180 days old.
2. ``purchase``: an order in the last 7 days.
3. ``onboarding``: exactly one order, in the last 30 days.
4. ``advocacy``: 3 or more orders and a referral touchpoint or an email click in the
   last 30 days.
5. ``engagement``: 2 or more orders and any email open or click, or web behaviour, in
   the last 30 days.
6. ``retention``: has ordered (none of the above: a buyer gone quiet for under 180 days).
7. ``consideration``: never ordered, and a product view, search, cart or wishlist
   action or a checkout in the last 30 days.
8. ``awareness``: everyone else (emails received, visits, nothing considered lately).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl

TIMELINE_SCHEMA: dict[str, pl.DataType] = {
    "at": pl.Datetime("us", "UTC"), "source": pl.String(), "action": pl.String(),
    "detail": pl.String()}
"""One customer's timeline, oldest first."""

JOURNEY_STAGES = ("awareness", "consideration", "purchase", "onboarding", "engagement",
                  "advocacy", "retention", "win_back")
"""Every stage, in the order a customer usually meets them."""

CONSIDERING = ("product_view", "category_browse", "search", "cart_add", "wishlist_add",
               "checkout")
LAPSED_DAYS, RECENT_ORDER_DAYS, ONBOARDING_DAYS, ACTIVE_DAYS = 180, 7, 30, 30


@dataclass(frozen=True)
class Stage:
    """The stage and the rule that placed the customer there."""

    stage: str
    reason: str


def journey_stage(timeline: pl.DataFrame, as_of: datetime) -> Stage:
    """The customer's stage at ``as_of`` from their timeline (``TIMELINE_SCHEMA``)."""
    past = timeline.filter(pl.col("at") <= as_of)
    orders = past.filter(pl.col("action") == "order")["at"].sort()
    recent = past.filter(pl.col("at") > as_of - timedelta(days=ACTIVE_DAYS))
    actions = set(recent["action"].to_list())
    count = orders.len()
    if count:
        last: datetime = orders[-1]
        days = (as_of - last).total_seconds() / 86_400
        if days > LAPSED_DAYS:
            return Stage("win_back", f"last order {days:.0f} days ago (over {LAPSED_DAYS})")
        if days <= RECENT_ORDER_DAYS:
            return Stage("purchase", f"ordered {days:.0f} days ago (within "
                                     f"{RECENT_ORDER_DAYS})")
        if count == 1 and days <= ONBOARDING_DAYS:
            return Stage("onboarding", f"first order {days:.0f} days ago (within "
                                       f"{ONBOARDING_DAYS})")
        if count >= 3 and actions & {"touch_referral", "email_click"}:
            return Stage("advocacy", f"{count} orders and a referral or email click in the "
                                     f"last {ACTIVE_DAYS} days")
        active = actions & {"email_open", "email_click"} or set(
            recent.filter(pl.col("source") == "behavior")["action"].to_list())
        if count >= 2 and active:
            return Stage("engagement", f"{count} orders and activity in the last "
                                       f"{ACTIVE_DAYS} days")
        return Stage("retention", f"{count} orders, the last {days:.0f} days ago, quiet "
                                  "since")
    considered = sorted(actions & set(CONSIDERING))
    if considered:
        return Stage("consideration", f"no order yet; {', '.join(considered)} in the last "
                                      f"{ACTIVE_DAYS} days")
    return Stage("awareness", f"no order and nothing considered in the last {ACTIVE_DAYS} "
                              "days")
