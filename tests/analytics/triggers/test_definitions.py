"""Definitions: canonical JSON, templates that parse, errors that name the field."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics.triggers.definitions import (
    TEMPLATES,
    DefinitionError,
    parse_definition,
    parse_span,
)
from analytics.triggers.sequences import Sequence

TYPES = ("cart_add", "checkout", "product_view")


def test_exit_and_reentry_round_trip() -> None:
    text = ('{"sequence": {"first": "cart_add", "key": "cart_id"}, "exit": ["checkout"], '
            '"reentry": "48h"}')
    parsed = parse_definition(text, TYPES)
    assert (parsed.exit, parsed.reentry) == (("checkout",), timedelta(days=2))
    assert parsed.to_json() == ('{"exit": ["checkout"], "reentry": "2d", "sequence": '
                                '{"first": "cart_add", "key": "cart_id", "within": "2h"}}')
    acting = parse_definition(text.replace('}, "exit"', '}, "actions": [{"type": '
                                           '"follow_up", "after": "36h"}, {"type": '
                                           '"add_to_segment", "segment": "a"}, {"type": '
                                           '"set_attribute", "name": "n", "value": "v"}], '
                                           '"exit"'),
                              TYPES)
    assert (acting.follow_up, acting.add_to_segments, acting.attributes) == (
        timedelta(hours=36), ("a",), (("n", "v"),))
    assert parse_definition(acting.to_json(), TYPES) == acting
    hours = parse_definition(text.replace('"cart_id"}', '"cart_id", "hours": [9, 21]}'),
                             TYPES)
    assert hours.sequence.hours == (9, 21)
    assert parse_definition(hours.to_json(), TYPES) == hours
    once = parse_definition(text.replace('"48h"', '"once"'), TYPES)
    assert once.reentry == "once"


def test_canonical_json_and_templates() -> None:
    text = ('{"sequence": {"first": "cart_add", "then": "checkout", "within": "120m", '
            '"key": "cart_id"}, "profile": "purchases >= 1"}')
    assert parse_definition(text, TYPES).to_json() == (
        '{"profile": "purchases >= 1", "sequence": {"absent": true, "first": "cart_add", '
        '"key": "cart_id", "then": "checkout", "within": "2h"}}')
    for template in TEMPLATES.values():
        parsed = parse_definition(json.dumps(template["definition"]), (*TYPES, "order"))
        assert parse_definition(parsed.to_json(), (*TYPES, "order")) == parsed


@pytest.mark.parametrize(("text", "field", "message"), [
    ("{", "definition", "not JSON"),
    ('{"sequence": 1}', "sequence", "give an object"),
    ('{"sequence": {"first": "cart_add", "key": "cart_id"}, "x": 1}', "x", "unknown part"),
    ('{"sequence": {"first": "buy", "key": "cart_id"}}', "sequence.first",
     "unknown event type 'buy'"),
    ('{"sequence": {"first": "cart_add", "key": "cart id"}}', "sequence.key",
     "not a property name"),
    ('{"sequence": {"first": "cart_add", "key": "c", "within": "2 weeks"}}',
     "sequence.within", "not a positive span"),
    ('{"sequence": {"first": "cart_add", "key": "c", "absent": "yes"}}', "sequence.absent",
     "true or false"),
    ('{"sequence": {"first": "cart_add", "key": "c"}, "exit": "order"}', "exit",
     "give a list of event types"),
    ('{"sequence": {"first": "cart_add", "key": "c"}, "exit": ["refund"]}', "exit",
     "unknown event type 'refund'"),
    ('{"sequence": {"first": "cart_add", "key": "c"}, "reentry": "twice"}', "reentry",
     "not a positive span"),
    ('{"sequence": {"first": "cart_add", "key": "c"}, "actions": [{"type": "sms"}]}',
     "actions", "unknown action 'sms'"),
    ('{"sequence": {"first": "cart_add", "key": "c"}, "actions": [{"type": "follow_up"}]}',
     "actions.after", "not a positive span"),
    ('{"sequence": {"first": "cart_add", "key": "c"}, "actions": [{"type": '
     '"set_attribute", "name": "a b", "value": "x"}]}', "actions", "set_attribute needs"),
    ('{"sequence": {"first": "cart_add", "key": "c", "hours": [21, 9]}}', "sequence.hours",
     "are not a window"),
    ('{"sequence": {"first": "cart_add", "key": "c", "hours": "9-21"}}', "sequence.hours",
     "give \\[from, to\\]"),
    ('{"sequence": {"first": "cart_add", "key": "c"}, "actions": [{"type": '
     '"add_to_segment", "segment": "Big Spenders"}]}', "actions", "needs a segment id"),
    ('{"sequence": {"first": "cart_add", "key": "c"}, "actions": {}}', "actions",
     "give a list of actions"),
    ('{"sequence": {"first": "cart_add", "key": "c", "days": ["monday"]}}', "sequence.days",
     "give a list of weekdays"),
    ('{"sequence": {"first": "cart_add", "key": "c", "days": []}}', "sequence.days",
     "give a list of weekdays"),
    ('{"sequence": {"first": "cart_add", "key": "c", "days": "mon"}}', "sequence.days",
     "give a list of weekdays"),
])
def test_errors_name_the_field(text: str, field: str, message: str) -> None:
    with pytest.raises(DefinitionError, match=message) as error:
        parse_definition(text, TYPES)
    assert error.value.field == field


@given(st.integers(1, 10_000), st.sampled_from("smhd"))
def test_spans_round_trip(amount: int, unit: str) -> None:
    span = parse_span(f"{amount}{unit}")
    assert span == timedelta(seconds=amount * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit])


def test_weekdays_are_stored_monday_first_and_lower_case() -> None:
    text = ('{"sequence": {"first": "cart_add", "key": "c", "hours": [9, 20], '
            '"days": ["FRI", "mon", "mon"]}}')
    definition = parse_definition(text, TYPES)
    assert definition.sequence.days == (0, 4)
    assert json.loads(definition.to_json())["sequence"] == {
        "first": "cart_add", "key": "c", "within": "2h", "hours": [9, 20],
        "days": ["mon", "fri"]}
    with pytest.raises(ValueError, match="at least one weekday"):
        Sequence(first="cart_add", key="c", days=(7,))
