"""Rendering a template for one customer: the token records built from their data, the
kind's sandbox, and a result that is the text or the reason it was refused."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jinja2 import TemplateError
from jinja2.environment import Template

from analytics.personalisation.sandbox import KINDS, TIME_BUDGET, Sandbox
from analytics.personalisation.tokens import (
    CAMPAIGN_TOKENS,
    CUSTOMER_TOKENS,
    NAMESPACES,
    PROFILE_COLUMN,
    PROFILE_TOKENS,
    RULES,
    SCORE_TOKENS,
    SHORTCUTS,
    Record,
)

COMPILED_TEMPLATES = 256


@dataclass(frozen=True)
class TokenValues:
    """One customer's data as the templates see it (missing fields read as undefined)."""

    customer: Mapping[str, Any]
    profile: Mapping[str, Any] = field(default_factory=dict)
    scores: Mapping[str, Any] = field(default_factory=dict)
    campaign: Mapping[str, Any] = field(default_factory=dict)
    rules: Mapping[str, str] = field(default_factory=dict)
    rule_keys: frozenset[str] = frozenset()
    """Every key some rule sets: a key no rule chose for this customer reads as undefined."""


@dataclass(frozen=True)
class Rendered:
    """A render's text, or why it was refused (``text`` is None then)."""

    text: str | None
    error: str | None = None


@functools.cache
def sandbox(kind: str) -> Sandbox:
    """The one sandbox of ``kind`` (each render keeps its own budget per thread)."""
    return Sandbox(kind)


@functools.lru_cache(maxsize=COMPILED_TEMPLATES)
def compiled(kind: str, source: str) -> Template:
    """``source`` compiled once per process (raises ``TemplateError``)."""
    return sandbox(kind).compile_source(source)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def context_of(values: TokenValues, kind: str) -> dict[str, Any]:
    """The template context: a record per namespace and the bare customer fields."""
    profile = {name: values.profile.get(PROFILE_COLUMN.get(name, name))
               for name in PROFILE_TOKENS}
    sources: dict[str, Mapping[str, Any]] = {
        "customer": values.customer, "profile": profile, "scores": values.scores,
        "campaign": values.campaign}
    fields = {"customer": CUSTOMER_TOKENS, "profile": PROFILE_TOKENS,
              "scores": SCORE_TOKENS, "campaign": CAMPAIGN_TOKENS}
    environment = sandbox(kind)
    context: dict[str, Any] = {
        space: Record(space, {name: None if _blank(value) else value
                              for name, value in sources[space].items()}, fields[space])
        for space in NAMESPACES}
    context[RULES] = Record(RULES, dict(values.rules), values.rule_keys | set(values.rules))
    for name in SHORTCUTS:
        value = values.customer.get(name)
        context[name] = environment.undefined(name=name) if _blank(value) else value
    return context


def render_template(kind: str, source: str, values: TokenValues, *,
                    seconds: float = TIME_BUDGET) -> Rendered:
    """``source`` rendered as a ``kind`` template for one customer, within the sandbox's
    limits; a syntax error, refused construct or broken limit comes back as ``error``."""
    if kind not in KINDS:
        return Rendered(None, f"kind: {kind!r} is not a template kind; use one of "
                              f"{', '.join(KINDS)}")
    try:
        template = compiled(kind, source)
        text = sandbox(kind).render_stream(template, context_of(values, kind), seconds)
    except TemplateError as error:
        line = getattr(error, "lineno", None)
        return Rendered(None, (f"line {line}: " if line else "") + (error.message or
                                                                  type(error).__name__))
    except (TypeError, ValueError, ArithmeticError, LookupError, OverflowError) as error:
        return Rendered(None, f"the template failed while rendering: {error}")
    return Rendered(text)
