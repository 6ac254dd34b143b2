"""Rendering for one customer: token records, fallbacks, and errors as results."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from analytics.personalisation.render import Rendered, TokenValues, render_template

VALUES = TokenValues(
    customer={"id": "u1", "first_name": "Ana", "last_name": " ", "country": "PT"},
    profile={"preferred_category": "shoes", "lifecycle_stage": "active"},
    scores={"clv_tier": "high"}, campaign={"name": "Spring"},
    rules={"offer": "10% off"}, rule_keys=frozenset({"offer", "tone"}))


def test_every_namespace_renders_and_missing_values_take_their_fallback():
    source = ("{{ first_name }} {{ last_name | default('-') }} {{ customer.country }} "
              "{{ profile.favorite_category }} {{ scores.clv_tier }} {{ campaign.name }} "
              "{{ rules.offer }} {{ rules.tone | default('plain') }} "
              "{{ scores.churn_risk | default('?') }}")
    assert render_template("body", source, VALUES) == Rendered(
        "Ana - PT shoes high Spring 10% off plain ?")


def test_errors_come_back_as_results_with_the_line():
    assert render_template("html", "x", VALUES) == Rendered(
        None, "kind: 'html' is not a template kind; use one of subject, body, cta")
    assert render_template("body", "ok\n{{ x | nope }}", VALUES) == Rendered(
        None, "line 2: No filter named 'nope'.")
    assert render_template("body", "{{ 1 / 0 }}", VALUES) == Rendered(
        None, "the template failed while rendering: division by zero")
    assert render_template("body", "{{ rules.unknown }}", VALUES).error == (
        "rules.unknown is not a token; see the rules.* fields in the token reference")


@given(st.text(max_size=30))
def test_plain_text_without_tags_renders_as_itself_in_subjects(text):
    if any(mark in text for mark in ("{", "}", "%", "#")):
        return
    rendered = render_template("subject", text, VALUES)
    expected = " ".join(re.sub(r"[\x00-\x1f\x7f]+", " ", text).split())
    assert rendered.text is not None
    assert " ".join(rendered.text.split()) == expected
