"""The rule language: parsing, error messages with columns, and fuzzing."""

from __future__ import annotations

import builtins

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.customers.expressions import (
    BoolOp,
    Compare,
    FieldType,
    InList,
    IsNull,
    IsTrue,
    Not,
    RuleSyntaxError,
    conditions,
    parse,
    render,
    tokenize,
)

FIELDS = {"open_rate_90d": FieldType.NUMBER, "days_since_last_purchase": FieldType.NUMBER,
          "purchases": FieldType.NUMBER, "country": FieldType.STRING,
          "lifecycle_stage": FieldType.STRING, "opted_out": FieldType.BOOLEAN}


def test_the_issue_example_parses_into_an_and_of_three_conditions():
    node = parse('open_rate_90d >= 0.3 and days_since_last_purchase < 60 '
                 'and country in ["US","CA"]', FIELDS)
    assert node == BoolOp("and", (Compare("open_rate_90d", ">=", 0.3),
                                  Compare("days_since_last_purchase", "<", 60.0),
                                  InList("country", ("US", "CA"), False)))


def test_precedence_not_and_or_parentheses_and_null_checks():
    node = parse("not opted_out and (purchases > 2 or country is null) or "
                 "lifecycle_stage not in ['new']", FIELDS)
    assert node == BoolOp("or", (
        BoolOp("and", (Not(IsTrue("opted_out")),
                       BoolOp("or", (Compare("purchases", ">", 2.0),
                                     IsNull("country", False)))),),
        InList("lifecycle_stage", ("new",), True)))
    assert parse("purchases >= days_since_last_purchase", FIELDS) == Compare(
        "purchases", ">=", None, "days_since_last_purchase")
    assert parse("country is not null", FIELDS) == IsNull("country", True)


@pytest.mark.parametrize(("text", "message"), [
    ("opn_rate_90d >= 0.3",
     "unknown field 'opn_rate_90d' at column 1 — did you mean open_rate_90d?"),
    ("open_rate_90d = 0.3", "unexpected character '=' (use == to compare) at column 15"),
    ('country > "US"', "country is a string; compare it with == or != at column 9"),
    ('purchases >= "x"', 'purchases is a number, but "x" is a string at column 14'),
    ("purchases >= 1 and", "expected a field name, found the end of the definition "
                           "at column 19"),
    ("(purchases > 1", "expected ')' to close the parenthesis, found the end of the "
                       "definition at column 15"),
    ("purchases > 1 purchases", "unexpected 'purchases'; join conditions with 'and' or "
                                "'or' at column 15"),
    ('country in ["US" "CA"]', "expected ',' or ']' to close the list, found '\"CA\"' "
                               "at column 18"),
    ("", "the definition is empty; write a condition such as open_rate_90d >= 0.3 "
         "at column 1"),
    ("country", "expected a comparison (==, !=, <, <=, >, >=, in, is null) after country, "
                "found the end of the definition at column 8"),
    ("country == 'US", "unexpected character \"'\" (strings need a closing quote) "
                       "at column 12"),
    ("__import__('os')", "unknown field '__import__' at column 1 — known fields: country, "
                         "days_since_last_purchase, lifecycle_stage, open_rate_90d, "
                         "opted_out, purchases"),
])
def test_errors_name_the_token_its_column_and_the_fix(text, message):
    with pytest.raises(RuleSyntaxError) as caught:
        parse(text, FIELDS)
    assert str(caught.value) == message


def test_tokens_carry_their_columns():
    assert [(t.kind, t.text, t.column) for t in tokenize('a>=-1.5 "x\\"y"')] == [
        ("name", "a", 1), ("op", ">=", 2), ("number", "-1.5", 4), ("string", '"x\\"y"', 9),
        ("end", "", 15)]
    assert tokenize('"x\\"y"')[0].value == 'x"y'


_ALPHABET = st.sampled_from(list("abcdeinorstu_ ()[],.\"'<>=!0123456789-")
                            + ["open_rate_90d", "purchases", "country", " and ", " or ",
                               " not ", " in ", " is ", "null", "true", "==", ">="])


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=40), st.lists(_ALPHABET, max_size=12).map("".join)))
def test_fuzzed_input_parses_or_is_refused_with_a_located_message(text):
    saved = builtins.eval, builtins.exec
    try:
        builtins.eval = builtins.exec = None  # any use by the parser would fail loudly
        try:
            node = parse(text, FIELDS)
        except RuleSyntaxError as error:
            assert error.reason
            assert 1 <= error.column <= len(text) + 1
            assert str(error).startswith(error.reason + f" at column {error.column}")
        else:
            assert conditions(node)
            assert parse(render(node), FIELDS) == node  # canonical text round-trips
    finally:
        builtins.eval, builtins.exec = saved


def test_huge_numbers_are_refused():
    with pytest.raises(RuleSyntaxError, match="number 1e400 is too large at column 13"):
        parse("purchases > 1e400", FIELDS)


def test_overlong_definitions_are_refused():
    with pytest.raises(RuleSyntaxError, match="keep it under 2000"):
        parse("purchases > 1 and " * 200 + "purchases > 1", FIELDS)
