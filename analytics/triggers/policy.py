"""The firing policy: what each due occasion becomes, decided once and logged with why.

Occasions are decided in due-time order. Each gets one status:

- ``paused``: the trigger is disabled; nothing fires and the log says so.
- ``condition``: the customer's profile does not meet the trigger's profile rule.
- ``maximum``: the customer already had ``max_firings`` firings of this trigger.
- ``cooldown``: the customer's last firing of this trigger was less than ``cooldown``
  before this occasion fell due (measured in event time, so replays agree).
- ``fired``: none of the above; the actions run.

Only ``fired`` occasions count toward later cooldowns and maximums.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl

from analytics.triggers.sequences import OCCASIONS_SCHEMA, human

STATUSES = ("fired", "paused", "condition", "maximum", "cooldown")
"""Every status a decided occasion can have."""

DECISIONS_SCHEMA: dict[str, pl.DataType] = {**OCCASIONS_SCHEMA, "status": pl.String()}

FIRED_SCHEMA: dict[str, pl.DataType] = {"customer_id": pl.String(),
                                        "due_at": pl.Datetime("us", "UTC")}
"""Earlier firings of the trigger: who and when their occasion fell due."""


@dataclass(frozen=True)
class Limits:
    """A trigger's own limits: enabled flag, cooldown and maximum firings per customer."""

    enabled: bool = True
    cooldown: timedelta | None = None
    max_firings: int | None = None
    profile_rule: str | None = None


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def decide(due: pl.DataFrame, fired: pl.DataFrame, limits: Limits,
           eligible: Collection[str] | None = None) -> pl.DataFrame:
    """Decide every occasion of ``due`` (``OCCASIONS_SCHEMA``) given the trigger's
    earlier firings (``FIRED_SCHEMA``) and, when it has a profile rule, the customers
    who meet it (``eligible``). Returns ``DECISIONS_SCHEMA``, reasons extended by the
    decision."""
    history: dict[str, list[datetime]] = {}
    for customer, at in fired.sort("due_at").iter_rows():
        history.setdefault(customer, []).append(at)
    statuses: list[str] = []
    reasons: list[str] = []
    for row in due.sort("due_at", "customer_id", "occasion_key").iter_rows(named=True):
        customer, at, reason = row["customer_id"], row["due_at"], row["reason"]
        past = history.get(customer, [])
        last = max((t for t in past if t <= at), default=None)
        if not limits.enabled:
            status, why = "paused", "trigger paused, nothing fired"
        elif eligible is not None and customer not in eligible:
            status, why = "condition", f"profile does not meet {limits.profile_rule}"
        elif limits.max_firings is not None and len(past) >= limits.max_firings:
            status, why = "maximum", f"maximum of {limits.max_firings} firings reached"
        elif (limits.cooldown is not None and last is not None
              and at < last + limits.cooldown):
            status = "cooldown"
            why = (f"cooldown {human(limits.cooldown)} since the firing due at "
                   f"{_stamp(last)}")
        else:
            status, why = "fired", "fired"
            history.setdefault(customer, []).append(at)
        statuses.append(status)
        reasons.append(f"{reason}: {why}")
    return (due.sort("due_at", "customer_id", "occasion_key")
            .with_columns(pl.Series("reason", reasons, dtype=pl.String),
                          pl.Series("status", statuses, dtype=pl.String))
            .select(list(DECISIONS_SCHEMA)))
