"""Personalisation rules: a condition in the segment language chooses the content of one
key (``rules.offer``, ``rules.tone`` …) for the customers it holds for.

Rules are tried by priority (higher first, then id); for each key the first rule that
holds *fires* and sets the key; a later rule for the same key that also holds is
*shadowed* (reported, not applied). Conditions read the profile fields of the segment
language plus ``RULE_EXTRA_FIELDS`` (scores, tiers and the customer's local time), and
each result carries the segment language's own explanation: every condition with the
customer's values and whether it held.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from analytics.customers.expressions import FieldType, Node, parse
from analytics.customers.rules import PROFILE_FIELDS, Explanation, explain, to_polars

RULE_EXTRA_FIELDS: dict[str, FieldType] = {
    "local_hour": FieldType.NUMBER, "local_weekday": FieldType.NUMBER,
    "churn_probability": FieldType.NUMBER, "predicted_clv": FieldType.NUMBER,
    "p_alive": FieldType.NUMBER, "churn_risk": FieldType.STRING,
    "clv_tier": FieldType.STRING, "value_tier": FieldType.STRING,
    "timezone": FieldType.STRING, "has_first_name": FieldType.BOOLEAN,
}
"""``local_hour`` (0-23) and ``local_weekday`` (1 = Monday) are the render time in the
customer's own time zone (UTC when it is missing or unknown)."""
RULE_FIELDS: dict[str, FieldType] = {**PROFILE_FIELDS, **RULE_EXTRA_FIELDS}
KEY_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"


@dataclass(frozen=True)
class Rule:
    """One rule as stored: ``value`` is the content ``key`` takes when it fires."""

    id: int
    name: str
    condition: str
    key: str
    value: str
    priority: int = 0
    enabled: bool = True


@dataclass(frozen=True)
class RuleResult:
    """One rule for one customer: whether it held, fired, or was shadowed (by ``by``)."""

    rule: Rule
    matched: bool
    fired: bool
    explanation: Explanation
    shadowed_by: int | None = None


@dataclass(frozen=True)
class RuleOutcome:
    """The content the fired rules chose (key -> value) and every enabled rule's result."""

    chosen: dict[str, str]
    results: tuple[RuleResult, ...]

    @property
    def fired(self) -> tuple[RuleResult, ...]:
        return tuple(result for result in self.results if result.fired)


@functools.lru_cache(maxsize=1024)
def parse_condition(condition: str) -> Node:
    """``condition`` parsed over ``RULE_FIELDS`` (raises ``RuleSyntaxError`` with the
    column of the offending token)."""
    return parse(condition, RULE_FIELDS)


def local_time(timezone: str | None, at: datetime) -> tuple[int, int]:
    """The hour (0-23) and ISO weekday of ``at`` (aware) in ``timezone`` (UTC when it is
    missing or not an IANA name)."""
    try:
        zone = ZoneInfo(timezone) if timezone else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = at.astimezone(zone)
    return local.hour, local.isoweekday()


def rule_row(profile: Mapping[str, Any], extra: Mapping[str, Any], *,
             timezone: str | None, at: datetime) -> dict[str, Any]:
    """The values a rule condition reads for one customer: the profile, ``extra``
    (scores, tiers, first name) and the local hour and weekday at ``at``."""
    hour, weekday = local_time(timezone, at)
    row = {name: profile.get(name) for name in PROFILE_FIELDS}
    row.update({name: extra.get(name) for name in RULE_EXTRA_FIELDS})
    row.update(local_hour=float(hour), local_weekday=float(weekday), timezone=timezone)
    return row


def evaluate(rules: Iterable[Rule], row: Mapping[str, Any]) -> RuleOutcome:
    """The enabled ``rules`` applied to one customer's ``row`` (see ``rule_row``).

    Raises ``RuleSyntaxError`` for a rule whose condition does not parse (stored rules
    are checked when saved, so this means the field list changed)."""
    ordered = sorted((rule for rule in rules if rule.enabled),
                     key=lambda rule: (-rule.priority, rule.id))
    chosen: dict[str, str] = {}
    firing: dict[str, int] = {}
    results = []
    for rule in ordered:
        explanation = explain(parse_condition(rule.condition), row)
        fires = explanation.matches and rule.key not in chosen
        if fires:
            chosen[rule.key] = rule.value
            firing[rule.key] = rule.id
        results.append(RuleResult(
            rule, explanation.matches, fires, explanation,
            firing[rule.key] if explanation.matches and not fires else None))
    return RuleOutcome(chosen, tuple(results))


EXAMPLE_RULES: tuple[Rule, ...] = (
    Rule(0, "Discount for price-sensitive customers",
         'average_order_value < 40 and purchases >= 1', "offer", "15% off your next order",
         priority=20),
    Rule(0, "Free shipping for high-value customers", 'value_tier == "high"', "offer",
         "Free express shipping on us", priority=30),
    Rule(0, "Win-back offer for lapsing customers",
         'lifecycle_stage in ["at_risk", "dormant", "churned"]', "offer",
         "We saved 20% off for your return", priority=10),
    Rule(0, "Warm tone for highly engaged", 'engagement_level == "high"', "tone",
         "You're one of our favourite readers", priority=10),
    Rule(0, "Gentle tone for quiet readers", 'engagement_level in ["none", "low"]', "tone",
         "It's been a while — here is what's new", priority=10),
    Rule(0, "Morning greeting", "local_hour >= 5 and local_hour < 12", "greeting",
         "Good morning", priority=10),
    Rule(0, "Afternoon greeting", "local_hour >= 12 and local_hour < 18", "greeting",
         "Good afternoon", priority=10),
    Rule(0, "Evening greeting", "local_hour >= 18 or local_hour < 5", "greeting",
         "Good evening", priority=10),
    Rule(0, "Single-column layout on mobile", 'device_preference == "mobile"', "layout",
         "single-column", priority=10),
    Rule(0, "Two-column layout elsewhere", "device_preference is null or "
         'device_preference != "mobile"', "layout", "two-column", priority=0),
)
"""Ready rules (``mailscope`` ships them through ``installExampleRules``)."""


def with_local_time(frame: pl.DataFrame, at: datetime) -> pl.DataFrame:
    """``frame`` (with a ``timezone`` column) plus ``local_hour`` and ``local_weekday`` at
    ``at`` in each row's time zone (UTC when missing or unknown)."""
    zones = frame["timezone"].unique().to_list()
    times = pl.DataFrame({"timezone": zones,
                          "local_hour": [float(local_time(z, at)[0]) for z in zones],
                          "local_weekday": [float(local_time(z, at)[1]) for z in zones]},
                         schema={"timezone": pl.String, "local_hour": pl.Float64,
                                 "local_weekday": pl.Float64})
    return frame.join(times, on="timezone", how="left", nulls_equal=True)


def empty_keys(rules: Iterable[Rule], frame: pl.DataFrame) -> dict[str, float]:
    """Per rule key, the share of ``frame``'s rows (customers, with ``RULE_FIELDS``
    columns) for whom no enabled rule for the key holds: how often ``rules.<key>`` is
    empty. An empty frame gives no shares."""
    if frame.is_empty():
        return {}
    conditions: dict[str, list[pl.Expr]] = {}
    for rule in rules:
        if rule.enabled:
            conditions.setdefault(rule.key, []).append(
                to_polars(parse_condition(rule.condition)))
    if not conditions:
        return {}
    covered = frame.select(**{key: pl.any_horizontal(parts)
                              for key, parts in conditions.items()})
    return {key: (frame.height - int(covered[key].sum())) / frame.height
            for key in conditions}
