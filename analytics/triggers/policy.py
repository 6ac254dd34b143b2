"""The firing policy: what each due occasion becomes, decided once and logged with why.

Occasions are decided in due-time order. Each gets one status:

- ``paused``: the trigger is disabled; nothing fires and the log says so.
- ``condition``: the customer's profile does not meet the trigger's profile rule.
- ``maximum``: the customer already had ``max_firings`` firings of this trigger.
- ``exited``: an exit event (the trigger's goal, e.g. a checkout) happened between the
  occasion's start and its due time.
- ``reentry``: the definition's re-entry rule keeps the customer out (``once``: never
  again after a firing; ``after``: not until that long after the last firing).
- ``maximum``: the customer already had ``max_firings`` firings of this trigger.
- ``cooldown``: the customer's last firing of this trigger was less than ``cooldown``
  before this occasion fell due (measured in event time, so replays agree).
- ``frequency_cap``: the customer already had ``cap.count`` firings of any trigger in the
  ``cap.window`` before this occasion fell due.
- ``fired``: none of the above; the actions run.

Only ``fired`` occasions count toward later cooldowns, maximums and the cap.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl

from analytics.triggers.sequences import OCCASIONS_SCHEMA, human

STATUSES = ("fired", "paused", "condition", "exited", "reentry", "maximum", "cooldown",
            "frequency_cap")
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
    # Re-entry: None (every occasion may fire), "once", or a span after the last firing.
    reentry: timedelta | str | None = None


@dataclass(frozen=True)
class Cap:
    """The global frequency cap: at most ``count`` firings of any trigger per customer in
    any ``window``."""

    count: int
    window: timedelta


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _by_customer(frame: pl.DataFrame) -> dict[str, list[datetime]]:
    history: dict[str, list[datetime]] = {}
    for customer, at in frame.select("customer_id", "due_at").sort("due_at").iter_rows():
        history.setdefault(customer, []).append(at)
    return history


def _reentry(rule: timedelta | str | None, last: datetime | None,
             at: datetime) -> str | None:
    if rule is None or last is None:
        return None
    if rule == "once":
        return "re-entry once: already fired"
    if isinstance(rule, timedelta) and at < last + rule:
        return f"re-entry after {human(rule)} of the firing due at {_stamp(last)}"
    return None


def decide(due: pl.DataFrame, fired: pl.DataFrame, limits: Limits,
           eligible: Collection[str] | None = None, *,
           exits: pl.DataFrame | None = None, everywhere: pl.DataFrame | None = None,
           cap: Cap | None = None) -> pl.DataFrame:
    """Decide every occasion of ``due`` (``OCCASIONS_SCHEMA``) given the trigger's
    earlier firings (``FIRED_SCHEMA``), when it has a profile rule the customers who
    meet it (``eligible``), the occasions an exit event ended (``exits``: customer_id,
    occasion_key, reason) and, for the frequency ``cap``, the firings of every trigger
    (``everywhere``, ``FIRED_SCHEMA``). Returns ``DECISIONS_SCHEMA``, reasons extended
    by the decision."""
    history = _by_customer(fired)
    capped = _by_customer(everywhere if everywhere is not None else fired)
    exited: dict[tuple[str, str], str] = {}
    if exits is not None:
        exited = {(c, k): r for c, k, r in
                  exits.select("customer_id", "occasion_key", "reason").iter_rows()}
    statuses: list[str] = []
    reasons: list[str] = []
    ordered = due.sort("due_at", "customer_id", "occasion_key")
    # Plain lists, not row dicts: this loop is the evaluation's hot path.
    for customer, key, at, reason in zip(ordered["customer_id"].to_list(),
                                         ordered["occasion_key"].to_list(),
                                         ordered["due_at"].to_list(),
                                         ordered["reason"].to_list(), strict=True):
        past = history.get(customer, [])
        last = max((t for t in past if t <= at), default=None)
        if not limits.enabled:
            status, why = "paused", "trigger paused, nothing fired"
        elif eligible is not None and customer not in eligible:
            status, why = "condition", f"profile does not meet {limits.profile_rule}"
        elif (customer, key) in exited:
            status, why = "exited", exited[(customer, key)]
        elif (entry := _reentry(limits.reentry, last, at)) is not None:
            status, why = "reentry", entry
        elif limits.max_firings is not None and len(past) >= limits.max_firings:
            status, why = "maximum", f"maximum of {limits.max_firings} firings reached"
        elif (limits.cooldown is not None and last is not None
              and at < last + limits.cooldown):
            status = "cooldown"
            why = (f"cooldown {human(limits.cooldown)} since the firing due at "
                   f"{_stamp(last)}")
        elif cap is not None and sum(
                1 for t in capped.get(customer, []) if at - cap.window < t <= at) >= cap.count:
            status = "frequency_cap"
            why = f"frequency cap of {cap.count} firings in {human(cap.window)} reached"
        else:
            status, why = "fired", "fired"
            history.setdefault(customer, []).append(at)
            capped.setdefault(customer, []).append(at)
        statuses.append(status)
        reasons.append(f"{reason}: {why}")
    return (ordered
            .with_columns(pl.Series("reason", reasons, dtype=pl.String),
                          pl.Series("status", statuses, dtype=pl.String))
            .select(list(DECISIONS_SCHEMA)))
