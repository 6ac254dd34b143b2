"""The sandbox: every payload of the injection corpus is refused or renders exactly the
harmless text recorded beside it; the limits stop what they promise to stop."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics.personalisation.render import TokenValues, render_template
from analytics.personalisation.sandbox import (
    MAX_RANGE,
    OUTPUT_LIMITS,
    Sandbox,
    TemplateRefused,
    check_shape,
    estimate,
)

CORPUS = json.loads((Path(__file__).parent / "injection_corpus.json").read_text("utf-8"))
VALUES = TokenValues(customer=CORPUS["customer"], rules=CORPUS["rules"],
                     rule_keys=frozenset(CORPUS["rules"]))


@pytest.mark.parametrize("payload", CORPUS["payloads"], ids=lambda p: p["name"])
def test_every_injection_payload_is_refused_or_harmless(payload):
    rendered = render_template(payload["kind"], payload["source"], VALUES)
    if payload["outcome"] == "refused":
        assert rendered.text is None and rendered.error
    else:
        assert rendered.error is None and rendered.text == payload["output"]


def test_the_corpus_covers_the_known_attack_families():
    sources = " ".join(p["source"] for p in CORPUS["payloads"])
    for needle in ("__mro__", "__globals__", "range(10**9)", "cycler", "joiner", "namespace",
                   "lipsum", "_TemplateReference__context", "''.__class__", "config",
                   "request", ".format(", "'a' * 10**9", "macro r(", "include"):
        assert needle in sources, needle


def refusal(kind: str, source: str) -> str:
    rendered = render_template(kind, source, VALUES)
    assert rendered.text is None
    return rendered.error or ""


def test_limits_name_what_they_stopped():
    assert refusal("body", "{{ range(5000) }}") == (
        f"range() of 5000 items passes the limit of {MAX_RANGE}")
    assert refusal("subject", "{{ 'ab' * 300 }}") == (
        "repeating a value 300 times passes the output limit of 500")
    assert refusal("subject", "{% for i in range(600) %}x{% endfor %}") == (
        "the output passes the subject limit of 500 characters; shorten it")
    assert refusal("body", "{{ 2 ** 1000 }}") == "2 ** 1000 has more than 100 digits"
    assert refusal("body", "{{ 2 ** 'a' }}") == "** needs two numbers"
    assert refusal("body", "{{ customer.email }}") == (
        "customer.email is not a token; see the customer.* fields in the token reference")
    assert refusal("body", "{{ lipsum() }}").startswith("lipsum is not a function")
    assert refusal("body", "{{ [1, 2][0:1][0].real }}") == (
        "reading .real of a int is not allowed; templates read only the documented tokens")
    assert refusal("body", "{{ {'a': 1}[1] }}") == "indexing a dict is not allowed"
    assert refusal("body", "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}") == (
        "macros nested deeper than 20 calls; remove the recursion")
    assert "took longer than" in render_template(
        "body", "{% for a in range(1000) %}{% for b in range(1000) %}{% endfor %}"
        "{% endfor %}", VALUES, seconds=0.001).error


def test_shape_checks_run_before_parsing():
    with pytest.raises(TemplateRefused, match="brackets nest 43 deep"):
        check_shape("{{ " + "(" * 41 + "1" + ")" * 41 + " }}")
    with pytest.raises(TemplateRefused, match="50001 characters long"):
        check_shape("x" * 50_001)
    with pytest.raises(ValueError, match="unknown template kind 'html'"):
        Sandbox("html")


def test_subjects_are_one_plain_line_and_bodies_escape_html():
    values = TokenValues(customer={"first_name": "Ann\r\nBcc: x <b>"})
    assert render_template("subject", "Hi {{ first_name }}", values).text == \
        "Hi Ann Bcc: x <b>"
    assert render_template("body", "Hi {{ first_name }}", values).text == \
        "Hi Ann\r\nBcc: x &lt;b&gt;"
    assert render_template("cta", "{{ first_name|safe_text|upper }}", values).text == \
        "ANN BCC: X <B>"


def test_loops_and_integer_indexes_still_work():
    assert render_template("body", "{% for i in range(3) %}{{ loop.index }}{% if not "
                           "loop.last %},{% endif %}{% endfor %}|{{ range(4)|length }}|"
                           "{{ 'abc'[1] }}{{ 'abc'[9] }}", VALUES).text == "1,2,3|4|b"


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_any_text_value_is_escaped_in_bodies_and_flattened_in_subjects(name):
    values = TokenValues(customer={"first_name": name})
    body = render_template("body", "{{ first_name }}", values).text or ""
    assert "<" not in body and ">" not in body
    subject = render_template("subject", "{{ first_name }}", values).text or ""
    assert not any(ord(char) < 32 for char in subject)


def test_no_other_callable_and_no_attribute_path_is_open():
    assert refusal("body", "{% for i in range(2) %}{{ loop(1) }}{% endfor %}") == (
        "calling LoopContext is not allowed; templates may call range() and their own "
        "macros")
    environment = Sandbox("body")
    assert environment.is_safe_attribute("", "upper", "".upper) is False
    assert environment.budget.limit == OUTPUT_LIMITS["body"]  # a thread's first budget
    assert refusal("body", "{% if first_name %}" * 120 + "x" + "{% endif %}" * 120) == (
        "the template nests too deeply to compile; flatten its blocks")


def test_estimate_measures_without_printing():
    assert estimate("abc", 100) == 3
    assert estimate(["a", "bc"], 100) == 13 >= len(str(["a", "bc"])) == 11
    assert estimate({"a": 1}, 100) == 12 >= len(str({"a": 1})) == 8
    assert estimate((None, 1.5, True), 100) == 14 + 4 + 3 + 4
    shared = ["x" * 1000] * 1000  # a million characters if printed
    assert estimate([shared] * 1000, 1000) == 4002  # stops once past the limit


@given(st.recursive(st.text(alphabet="abc xyz", max_size=8) | st.integers(-99, 99),
                    lambda inner: st.lists(inner, max_size=4), max_leaves=20))
def test_estimate_is_never_below_the_printed_length(value):
    assert estimate(value, 10**6) >= len(str(value))
