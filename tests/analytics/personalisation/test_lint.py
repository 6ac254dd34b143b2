"""Template lint: each message with its line and column, computed from the source."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from analytics.personalisation.lint import LintMessage, lint


def where(source: str, **kwargs) -> list[tuple[str, str, int, int]]:
    return [(m.severity, m.code, m.line, m.column) for m in lint(source, "body", **kwargs)]


def test_syntax_errors_point_at_the_offending_token():
    assert lint("Hi {{ customer.first_name }", "body") == [LintMessage(
        "error", "syntax", "unexpected '}'", 1, 27)]
    assert where("ok\n  {{ a $ b }}") == [("error", "syntax", 2, 8)]
    assert where("{% if x %}\n{% endfo %}") == [("error", "syntax", 2, 4)]
    assert where("a\n{% for x in range(2) %}") == [("error", "syntax", 2, 24)]
    assert where("x\n{{ 'abc }}") == [("error", "syntax", 2, 4)]
    assert where("{{ first_name }}\n{% if %}") == [("error", "syntax", 2, 7)]
    assert where("{{ " + "(" * 50 + " }}") == [("error", "too-large", 1, 1)]


def test_unknown_tokens_and_filters_are_errors_with_a_suggestion():
    messages = lint("Hi {{ customer.first_nme }}\n{{ foo }} {{ first_name | defualt('x') }}"
                    "\n{{ rules.ofer }} {{ profile }}", "body", rule_keys=["offer"])
    assert [(m.code, m.line, m.column, m.token) for m in messages] == [
        ("unknown-token", 1, 7, "customer.first_nme"), ("unknown-token", 2, 4, "foo"),
        ("unknown-filter", 2, 27, "defualt"), ("unknown-token", 3, 4, "rules.ofer"),
        ("unknown-token", 3, 21, "profile")]
    assert messages[0].message == ("unknown token customer.first_nme — did you mean "
                                   "customer.first_name?")
    assert messages[3].message == "unknown token rules.ofer — did you mean rules.offer?"
    assert messages[4].message == ("profile is a namespace; name a field, e.g. "
                                   "profile.average_order_value")


def test_attribute_reads_outside_the_namespaces_are_refused():
    assert [(m.code, m.column, m.token) for m in lint("{{ ''.__class__ }}", "body")] == [
        ("refused", 6, "__class__")]


def test_a_token_often_empty_needs_a_fallback_and_the_warning_says_how_often():
    # A default filter, or an if on the same token around it, is a fallback; a field
    # empty for 1% of customers needs none.
    shares = {"customer.first_name": 0.3, "profile.favorite_category": 0.01}
    messages = lint("Hi {{ first_name }} {{ profile.favorite_category }}\n"
                    "{{ customer.first_name | default('there') }}"
                    "{% if first_name %}{{ first_name }}{% endif %}",
                    "subject", empty_shares=shares, customers=10)
    assert messages == [LintMessage(
        "warning", "no-fallback", "customer.first_name is empty for 30% of customers (3 of "
        "10); add a fallback such as {{ customer.first_name | default(\"…\") }}", 1, 7,
        "customer.first_name")]


def test_loop_and_macro_names_are_declared_not_unknown():
    assert lint("{% macro g(who) %}{{ who }}{% endmacro %}{% for x in range(2) %}"
                "{{ g(x) }}{{ loop.index }}{% endfor %}{% set y = 1 %}{{ y }}", "body") == []


@given(st.text(alphabet="{}%#()[]'\"ab \n|.", max_size=60))
def test_lint_never_crashes_and_positions_are_inside_the_source(source):
    lines = source.split("\n")
    for message in lint(source, "body"):
        assert 1 <= message.line <= len(lines)
        assert 1 <= message.column <= len(lines[message.line - 1]) + 1


def test_guards_on_namespaced_tokens_and_templates_too_deep_to_compile():
    shares = {"profile.favorite_category": 0.5, "customer.first_name": 0.5}
    assert lint("{% if profile.favorite_category %}{{ profile.favorite_category }}{% endif %}"
                "{{ first_name if first_name is defined else 'you' }}{{ customer[0] }}",
                "body", empty_shares=shares, customers=2) == []
    assert where("{% if first_name %}" * 120 + "x" + "{% endif %}" * 120) == [
        ("error", "too-large", 1, 1)]
