"""Trigger definitions: structured JSON (never code) and the ready-made templates.

A definition is an object::

    {"sequence": {"first": "cart_add", "then": "checkout", "absent": true,
                  "within": "2h", "key": "cart_id"},
     "profile": "lifetime_revenue > 1000", "exit": ["order"], "reentry": "30d"}

``sequence`` is required (see ``analytics.triggers.sequences``); ``profile`` is an
optional rule in the segment language over the customer's profile, checked when an
occasion falls due; ``exit`` lists event types (the goal) whose occurrence between an
occasion's start and its due time ends it; ``actions`` may add each fired customer to a
static segment (``{"type": "add_to_segment", "segment": "cart-abandoners"}``) and
schedule a follow-up check of the customer's triggers (``{"type": "follow_up",
"after": "1d"}``) and set an attribute on the customer (``{"type": "set_attribute",
"name": "cart_reminder", "value": "sent"}``);
``sequence.hours`` (``[9, 21]``) and ``sequence.days`` (``["mon", "fri"]``) make a time
window in the customer's local time (see ``analytics.triggers.windows``);
``reentry`` is ``once`` (a customer fires at most once, ever) or a span (not again until
that long after the last firing); left out, every occasion may fire. Spans are a whole
number with a unit: s, m, h or d.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from analytics.triggers.sequences import Sequence, human
from analytics.triggers.windows import DAYS

_SPAN = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3_600, "d": 86_400}
_SEGMENT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_KEY_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


class DefinitionError(ValueError):
    """A definition that cannot be used; ``field`` names the part at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class Definition:
    """A parsed definition: its behaviour sequence and optional profile rule."""

    sequence: Sequence
    profile: str | None = None
    exit: tuple[str, ...] = ()
    reentry: timedelta | str | None = None
    # Segments each firing adds its customer to (the add_to_segment action).
    add_to_segments: tuple[str, ...] = ()
    # When to check the customer's triggers again after a firing (the follow_up action).
    follow_up: timedelta | None = None
    # Attributes each firing sets on its customer (the set_attribute action): name, value.
    attributes: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> str:
        """The canonical JSON text (keys sorted), as stored."""
        sequence: dict[str, Any] = {"first": self.sequence.first, "key": self.sequence.key,
                                    "within": human(self.sequence.within)}
        if self.sequence.then is not None:
            sequence |= {"then": self.sequence.then, "absent": self.sequence.absent}
        if self.sequence.hours is not None:
            sequence["hours"] = list(self.sequence.hours)
        if self.sequence.days is not None:
            sequence["days"] = [DAYS[d] for d in sorted(self.sequence.days)]
        body: dict[str, Any] = {"sequence": sequence}
        if self.profile:
            body["profile"] = self.profile
        if self.exit:
            body["exit"] = list(self.exit)
        if self.reentry is not None:
            body["reentry"] = (self.reentry if isinstance(self.reentry, str)
                               else human(self.reentry))
        actions: list[dict[str, str]] = [{"type": "add_to_segment", "segment": segment}
                                         for segment in self.add_to_segments]
        if self.follow_up is not None:
            actions.append({"type": "follow_up", "after": human(self.follow_up)})
        actions += [{"type": "set_attribute", "name": name, "value": value}
                    for name, value in self.attributes]
        if actions:
            body["actions"] = actions
        return json.dumps(body, sort_keys=True)


def parse_span(text: str, field: str = "sequence.within") -> timedelta:
    """``"2h"`` -> two hours; raises ``DefinitionError`` naming ``field``."""
    match = _SPAN.match(str(text))
    if not match or int(match[1]) == 0:
        raise DefinitionError(field, f"{text!r} is not a positive span: write a whole "
                                     "number and a unit (s, m, h or d), such as 2h")
    return timedelta(seconds=int(match[1]) * _UNITS[match[2]])


def _text(body: dict[str, Any], name: str, required: bool) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise DefinitionError(f"sequence.{name}", "give an event type, such as cart_add")
    return value.strip()


def parse_definition(text: str, event_types: tuple[str, ...]) -> Definition:
    """Parse and check a definition against the known behaviour ``event_types``."""
    try:
        body = json.loads(text)
    except json.JSONDecodeError as error:
        raise DefinitionError("definition", f"not JSON ({error.msg} at column "
                                            f"{error.colno})") from None
    if not isinstance(body, dict) or not isinstance(body.get("sequence"), dict):
        raise DefinitionError("sequence", 'give an object such as {"first": "cart_add", '
                                          '"key": "cart_id"}')
    unknown = set(body) - {"sequence", "profile", "exit", "reentry", "actions"}
    if unknown:
        raise DefinitionError(sorted(unknown)[0], "unknown part: use sequence, profile, "
                                                  "exit, reentry and actions")
    raw = body["sequence"]
    first = _text(raw, "first", True)
    then = _text(raw, "then", False)
    for name, value in (("first", first), ("then", then)):
        if value is not None and value not in event_types:
            raise DefinitionError(f"sequence.{name}", f"unknown event type {value!r}: use "
                                                      f"one of {', '.join(event_types)}")
    absent = raw.get("absent", True)
    if not isinstance(absent, bool):
        raise DefinitionError("sequence.absent", "give true or false")
    hours = raw.get("hours")
    if hours is not None and (not isinstance(hours, list) or len(hours) != 2
                              or not all(isinstance(h, int) for h in hours)):
        raise DefinitionError("sequence.hours", "give [from, to] in whole hours of the "
                                                "customer's local time, such as [9, 21]")
    try:
        sequence = Sequence(first=first or "", key=str(raw.get("key", "")), then=then,
                            absent=absent, within=parse_span(raw.get("within", "2h")),
                            hours=None if hours is None else (hours[0], hours[1]),
                            days=_days(raw.get("days")))
    except ValueError as error:
        if isinstance(error, DefinitionError):
            raise
        field = next((f"sequence.{name}" for name in ("hours", "days")
                      if f"sequence {name}" in str(error)), "sequence.key")
        raise DefinitionError(field, str(error)) from None
    profile = body.get("profile")
    if profile is not None and (not isinstance(profile, str) or not profile.strip()):
        raise DefinitionError("profile", "give a rule such as lifetime_revenue > 1000")
    exits = body.get("exit", [])
    if not isinstance(exits, list) or not all(isinstance(e, str) for e in exits):
        raise DefinitionError("exit", 'give a list of event types, such as ["order"]')
    for value in exits:
        if value not in event_types:
            raise DefinitionError("exit", f"unknown event type {value!r}: use one of "
                                          f"{', '.join(event_types)}")
    reentry: timedelta | str | None = body.get("reentry")
    if reentry is not None and reentry != "once":
        reentry = parse_span(str(reentry), "reentry")
    return Definition(sequence=sequence, profile=profile.strip() if profile else None,
                      exit=tuple(exits), reentry=reentry,
                      **_actions(body.get("actions", [])))


def _days(days: Any) -> tuple[int, ...] | None:
    if days is None:
        return None
    if not isinstance(days, list) or not days or not all(
            isinstance(day, str) and day.strip().lower() in DAYS for day in days):
        raise DefinitionError("sequence.days", "give a list of weekdays (mon, tue, wed, thu, "
                                               'fri, sat, sun), such as ["mon", "fri"]')
    return tuple(sorted({DAYS.index(day.strip().lower()) for day in days}))


def _actions(actions: Any) -> dict[str, Any]:
    """The add_to_segment segments and the follow_up delay (the webhook needs no entry:
    it is posted whenever the trigger has a webhook URL)."""
    example = '[{"type": "add_to_segment", "segment": "cart-abandoners"}]'
    if not isinstance(actions, list) or not all(isinstance(a, dict) for a in actions):
        raise DefinitionError("actions", f"give a list of actions, such as {example}")
    segments: list[str] = []
    follow_up: timedelta | None = None
    attributes: dict[str, str] = {}
    for action in actions:
        kind = action.get("type")
        if kind == "webhook":
            continue
        if kind == "set_attribute":
            name, value = action.get("name"), action.get("value")
            if not isinstance(name, str) or not _KEY_NAME.match(name) \
                    or not isinstance(value, str):
                raise DefinitionError("actions", "set_attribute needs a name (letters, "
                                                 "digits, _) and a text value, such as "
                                                 '{"name": "cart_reminder", "value": "sent"}')
            attributes[name] = value
            continue
        if kind == "follow_up":
            follow_up = parse_span(str(action.get("after", "")), "actions.after")
            continue
        if kind != "add_to_segment":
            raise DefinitionError("actions", f"unknown action {kind!r}: use webhook, "
                                             "add_to_segment, set_attribute or follow_up")
        segment = action.get("segment")
        if not isinstance(segment, str) or not _SEGMENT.match(segment):
            raise DefinitionError("actions", "add_to_segment needs a segment id of lower-case "
                                             "letters, digits, - and _, such as "
                                             "cart-abandoners")
        segments.append(segment)
    return {"add_to_segments": tuple(dict.fromkeys(segments)), "follow_up": follow_up,
            "attributes": tuple(attributes.items())}


TEMPLATES: dict[str, dict[str, Any]] = {
    "cart_abandonment": {
        "name": "Cart abandonment",
        "description": "A cart was added to and not checked out within 2 hours; one "
                       "firing per cart.",
        "definition": {"sequence": {"first": "cart_add", "then": "checkout", "absent": True,
                                    "within": "2h", "key": "cart_id"},
                       "exit": ["order"]},
        "cooldown": "1d", "max_firings": 3},
    "browse_abandonment": {
        "name": "Browse abandonment",
        "description": "A product was viewed and not added to a cart within 1 hour; one "
                       "firing per product.",
        "definition": {"sequence": {"first": "product_view", "then": "cart_add",
                                    "absent": True, "within": "1h", "key": "product_id"},
                       "exit": ["order"], "reentry": "1d"},
        "cooldown": "3d", "max_firings": 5},
    "high_value_engagement": {
        "name": "High-value engagement",
        "description": "A customer with lifetime revenue over 1000 and high engagement "
                       "views a product; one firing per product.",
        "definition": {"sequence": {"first": "product_view", "key": "product_id",
                                    "within": "1h"},
                       "profile": 'lifetime_revenue > 1000 and engagement_level == "high"'},
        "cooldown": "7d", "max_firings": None},
}
"""The ready templates: name, description, definition, cooldown and maximum firings."""
