"""Personalisation: templates saved only when they lint clean, rules checked when saved,
each customer's token values, previews with the rules that fired, and a campaign's
personalised content.

A campaign links to templates through ``campaign_template`` (one template per kind:
subject, body, cta), set with ``link_campaign_template``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any, TypeVar

import polars as pl
from sqlalchemy import Engine
from sqlmodel import Session

from analytics.customers.expressions import RuleSyntaxError
from analytics.customers.tiers import value_tiers
from analytics.personalisation.lint import LintMessage, lint
from analytics.personalisation.render import Rendered, TokenValues, render_template
from analytics.personalisation.rules import (
    EXAMPLE_RULES,
    KEY_PATTERN,
    RULE_FIELDS,
    Rule,
    RuleOutcome,
    empty_keys,
    evaluate,
    parse_condition,
    rule_row,
    with_local_time,
)
from analytics.personalisation.sandbox import KINDS
from analytics.personalisation.tokens import (
    PROFILE_COLUMN,
    PROFILE_TOKENS,
    SCORE_TOKENS,
    clv_tiers,
    empty_shares,
)
from server.db.models import SCORED_KINDS, ContentTemplate, PersonalisationRule
from server.db.repository import personalisation as repo
from server.db.repository import predictions as predictions_repo
from server.db.repository.changes import generations
from server.db.types import utcnow
from server.runners.base import MEMO
from server.runners.customers import all_profiles, profile
from server.runners.predictions import export_scores

MAX_NAME = 200
MAX_VALUE = 2000
MAX_PREVIEW = 10
SCORE_COLUMNS = {"churn_probability": "churn_probability", "churn_risk": "risk_level",
                 "predicted_clv": "predicted_clv", "p_alive": "p_alive",
                 "expected_orders": "expected_orders"}


class PersonalisationProblem(ValueError):
    """A write that was refused; ``field`` names the input at fault and, for a template
    or condition, ``line`` and ``column`` where the problem starts."""

    def __init__(self, field: str, message: str, line: int | None = None,
                 column: int | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.line = line
        self.column = column


Row = TypeVar("Row", ContentTemplate, PersonalisationRule)


def _found(session: Session, model: type[Row], row_id: int) -> Row:
    row = session.get(model, row_id)
    if row is None:
        what = "template" if model is ContentTemplate else "rule"
        raise PersonalisationProblem("id", f"id: no {what} has id {row_id}")
    return row


def _store(session: Session, row: Row) -> Row:
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


# Scores and tiers -------------------------------------------------------------------

def _published_runs(engine: Engine) -> tuple[int | None, ...]:
    with Session(engine) as session:
        runs = [predictions_repo.published_run(session=session, kind=kind)
                for kind in SCORED_KINDS]
    return tuple(None if run is None else run.id for run in runs)


def score_frame(engine: Engine) -> pl.DataFrame:
    """Every customer's published scores as tokens (``SCORE_TOKENS``) plus ``clv_tier``,
    read once per set of published runs (the editor lints on every keystroke)."""
    def read() -> pl.DataFrame:
        scores = export_scores(engine).select(
            "customer_id", *(pl.col(column).alias(token) for token, column in
                             SCORE_COLUMNS.items()))
        return scores.join(clv_tiers(scores), on="customer_id", how="left")

    return MEMO.of(engine, ("personalisation-scores", _published_runs(engine)), read)


def _tier_frame(engine: Engine) -> pl.DataFrame:
    return MEMO.of(engine, ("personalisation-tiers", generations(engine)),
                   lambda: value_tiers(all_profiles(engine)))


def token_gaps(engine: Engine) -> tuple[int, dict[str, float]]:
    """How many customers there are and, per token, the share with it empty (a customer
    without a profile or a score counts as empty for those tokens)."""
    with Session(engine) as session:
        customers, gaps = repo.customer_field_gaps(session=session)
    if customers == 0:
        return 0, {}
    shares = {f"customer.{name}": count / customers for name, count in gaps.items()}
    profiles = all_profiles(engine).join(_tier_frame(engine), on="customer_id", how="left")
    columns = {f"profile.{token}": PROFILE_COLUMN.get(token, token)
               for token in PROFILE_TOKENS}
    scores = score_frame(engine)
    for frame, wanted in ((profiles, columns),
                          (scores, {f"scores.{token}": token for token in SCORE_TOKENS})):
        present = empty_shares(frame, wanted)
        for token in wanted:
            filled = frame.height * (1 - present.get(token, 1.0))
            shares[token] = max(0.0, 1 - filled / customers)
    keys = empty_keys(_rules(engine), rule_frame(engine, profiles, scores, utcnow()))
    shares.update({f"rules.{key}": share for key, share in keys.items()})
    return customers, shares


def rule_frame(engine: Engine, profiles: pl.DataFrame, scores: pl.DataFrame,
               at: datetime) -> pl.DataFrame:
    """Every customer's values for rule conditions at ``at`` (``RULE_FIELDS`` columns)."""
    people = MEMO.of(engine, ("personalisation-people", generations(engine)),
                     lambda: repo.customer_fields_frame(engine=engine)).with_columns(
        has_first_name=pl.col("first_name").str.strip_chars().str.len_chars()
        .fill_null(0) > 0)
    frame = (people.join(profiles, on="customer_id", how="left")
             .join(scores, on="customer_id", how="left"))
    return with_local_time(frame, at).select(
        [pl.col(name) if name in frame.columns or name.startswith("local_")
         else pl.lit(None).alias(name) for name in RULE_FIELDS])


# Templates --------------------------------------------------------------------------

def _rule_keys(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return sorted({rule.key for rule in repo.all_rules(session=session)})


def lint_source(engine: Engine, source: str, kind: str) -> list[LintMessage]:
    """Every lint message of ``source`` as a ``kind`` template, with today's data."""
    _check_kind(kind)
    customers, shares = token_gaps(engine)
    return lint(source, kind, rule_keys=_rule_keys(engine), empty_shares=shares,
                customers=customers)


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise PersonalisationProblem("kind", f"kind: {kind!r} is not a template kind; use "
                                             f"one of {', '.join(KINDS)}")
    return kind


def _check_source(engine: Engine, source: str, kind: str) -> None:
    errors = [message for message in lint_source(engine, source, kind)
              if message.severity == "error"]
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise PersonalisationProblem(
            "source", f"line {first.line}, column {first.column}: {first.message}{more}",
            first.line, first.column)


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise PersonalisationProblem("name", f"name: give 1-{MAX_NAME} characters")
    return name


def templates_page(engine: Engine, *, offset: int, first: int, kind: str | None = None,
                   search: str | None = None) -> tuple[list[ContentTemplate], int]:
    with Session(engine, expire_on_commit=False) as session:
        return repo.templates_page(session=session, offset=offset, first=first, kind=kind,
                                   search=search)


def get_template(engine: Engine, template_id: int) -> ContentTemplate | None:
    with Session(engine, expire_on_commit=False) as session:
        return session.get(ContentTemplate, template_id)


def find_template(engine: Engine, reference: str) -> ContentTemplate | None:
    """A saved template by id (digits) or name."""
    with Session(engine, expire_on_commit=False) as session:
        if reference.isdigit():
            found = session.get(ContentTemplate, int(reference))
            if found is not None:
                return found
        return repo.template_named(session=session, name=reference)


def create_template(engine: Engine, *, name: str, kind: str, source: str) -> ContentTemplate:
    """A new template (version 1); refused with the first lint error, or a taken name."""
    name, kind = _check_name(name), _check_kind(kind)
    _check_source(engine, source, kind)
    with Session(engine, expire_on_commit=False) as session:
        if repo.template_named(session=session, name=name) is not None:
            raise PersonalisationProblem("name", f"name: a template is already called "
                                                 f"{name!r}; choose another name")
        return _store(session, ContentTemplate(name=name, kind=kind, source=source))


def update_template(engine: Engine, template_id: int, *, name: str | None = None,
                    source: str | None = None) -> ContentTemplate:
    """The template with a new name and/or source (each save counts one version)."""
    with Session(engine, expire_on_commit=False) as session:
        row = _found(session, ContentTemplate, template_id)
        if name is not None:
            name = _check_name(name)
            other = repo.template_named(session=session, name=name)
            if other is not None and other.id != template_id:
                raise PersonalisationProblem("name", f"name: a template is already called "
                                                     f"{name!r}; choose another name")
            row.name = name
        if source is not None:
            _check_source(engine, source, row.kind)
            row.source = source
        row.version += 1
        row.updated_at = utcnow()
        return _store(session, row)


def template_campaigns(engine: Engine, template_id: int) -> list[str]:
    """The ids of the campaigns that send the template (as its kind)."""
    with Session(engine) as session:
        return repo.template_users(session=session, template_id=template_id)


def delete_template(engine: Engine, template_id: int) -> None:
    """Remove a template no campaign sends (refused naming the campaigns otherwise)."""
    with Session(engine) as session:
        row = _found(session, ContentTemplate, template_id)
        users = repo.template_users(session=session, template_id=template_id)
        if users:
            raise PersonalisationProblem("id", f"id: campaigns {', '.join(users)} send this "
                                               "template; link them to another one first")
        session.delete(row)
        session.commit()


def link_campaign_template(engine: Engine, *, campaign_id: str, kind: str,
                           template_id: int | None) -> None:
    """Make the campaign send ``template_id`` as its ``kind`` (None: no template)."""
    _check_kind(kind)
    with Session(engine) as session:
        if repo.get_campaign(session=session, campaign_id=campaign_id) is None:
            raise PersonalisationProblem("campaignId", f"campaignId: no campaign has id "
                                                       f"{campaign_id!r}")
        if template_id is not None:
            template = session.get(ContentTemplate, template_id)
            if template is None:
                raise PersonalisationProblem("templateId", f"templateId: no template has "
                                                           f"id {template_id}")
            if template.kind != kind:
                raise PersonalisationProblem("templateId", f"templateId: template "
                                             f"{template.name!r} is a {template.kind} "
                                             f"template, not a {kind} one")
        repo.link_template(session=session, campaign_id=campaign_id, kind=kind,
                           template_id=template_id)
        session.commit()


# Rules ------------------------------------------------------------------------------

RULE_COLUMNS = tuple(field.name for field in fields(Rule) if field.name != "id")
"""The ``Rule`` fields a stored rule keeps (its id is the row's)."""


def rule_of(row: PersonalisationRule) -> Rule:
    """A stored rule in the analytics shape."""
    return Rule(row.id or 0, **{name: getattr(row, name) for name in RULE_COLUMNS})


def _check_rule(rule: Rule) -> Rule:
    """``rule`` with its name, condition and key trimmed, or the ``PersonalisationProblem``
    naming the first field at fault."""
    name = _check_name(rule.name)
    try:
        parse_condition(rule.condition)
    except RuleSyntaxError as error:
        raise PersonalisationProblem("condition", f"condition: {error}", 1,
                                     error.column) from None
    key = rule.key.strip()
    if not re.match(KEY_PATTERN, key):
        raise PersonalisationProblem("key", f"key: {rule.key!r} is not a rule key; use a "
                                            "lower-case name such as offer or tone (letters,"
                                            " digits, _; up to 40)")
    if len(rule.value) > MAX_VALUE:
        raise PersonalisationProblem("value", f"value: {len(rule.value)} characters; keep "
                                              f"it under {MAX_VALUE}")
    if not -1000 <= rule.priority <= 1000:
        raise PersonalisationProblem("priority", "priority: give -1000 to 1000")
    return replace(rule, name=name, condition=rule.condition.strip(), key=key)


def _columns(rule: Rule) -> dict[str, Any]:
    return {name: getattr(rule, name) for name in RULE_COLUMNS}


def rules_page(engine: Engine, *, offset: int, first: int, enabled: bool | None = None,
               key: str | None = None) -> tuple[list[PersonalisationRule], int]:
    with Session(engine, expire_on_commit=False) as session:
        return repo.rules_page(session=session, offset=offset, first=first,
                               enabled=enabled, key=key)


def get_rule(engine: Engine, rule_id: int) -> PersonalisationRule | None:
    with Session(engine, expire_on_commit=False) as session:
        return session.get(PersonalisationRule, rule_id)


def create_rule(engine: Engine, rule: Rule) -> PersonalisationRule:
    """Store ``rule`` once it checks (its id is ignored: the row gets a new one)."""
    checked = _check_rule(rule)
    with Session(engine, expire_on_commit=False) as session:
        return _store(session, PersonalisationRule(**_columns(checked)))


def update_rule(engine: Engine, rule_id: int, **changes: Any) -> PersonalisationRule:
    """The rule with ``changes`` (``RULE_COLUMNS``; None keeps the value) applied and
    checked."""
    with Session(engine, expire_on_commit=False) as session:
        row = _found(session, PersonalisationRule, rule_id)
        checked = _check_rule(replace(rule_of(row), **{
            name: value for name, value in changes.items() if value is not None}))
        for name, value in _columns(checked).items():
            setattr(row, name, value)
        row.updated_at = utcnow()
        return _store(session, row)


def delete_rule(engine: Engine, rule_id: int) -> None:
    with Session(engine) as session:
        session.delete(_found(session, PersonalisationRule, rule_id))
        session.commit()


def install_example_rules(engine: Engine) -> list[PersonalisationRule]:
    """Add the shipped example rules that are not there yet (by name); the added rows."""
    with Session(engine, expire_on_commit=False) as session:
        have = {rule.name for rule in repo.all_rules(session=session)}
        added = [PersonalisationRule(**_columns(rule)) for rule in EXAMPLE_RULES
                 if rule.name not in have]
        session.add_all(added)
        session.commit()
        for row in added:
            session.refresh(row)
        return added


# Rendering --------------------------------------------------------------------------

@dataclass(frozen=True)
class CustomerData:
    """One customer's token values (rules not yet applied) and the row rules read."""

    customer_id: str
    values: TokenValues
    rule_row: dict[str, Any]


def _row_of(frame: pl.DataFrame, customer_id: str) -> dict[str, Any]:
    found = frame.filter(pl.col("customer_id") == customer_id)
    return found.row(0, named=True) if found.height else {}


def customer_data(engine: Engine, customer_ids: Sequence[str], *,
                  campaign: dict[str, Any] | None = None,
                  at: datetime | None = None) -> list[CustomerData]:
    """Each known customer's data, in the order asked (raises ``PersonalisationProblem``
    naming an unknown id)."""
    with Session(engine, expire_on_commit=False) as session:
        found = repo.customers_by_id(session=session, customer_ids=customer_ids)
    missing = [customer_id for customer_id in customer_ids if customer_id not in found]
    if missing:
        raise PersonalisationProblem("customerIds", f"customerIds: no customer has id "
                                                    f"{missing[0]!r}")
    scores, tiers = score_frame(engine), _tier_frame(engine)
    when = at or utcnow()
    result = []
    for customer_id in customer_ids:
        person = found[customer_id]
        customer = {"id": customer_id, "first_name": person.first_name,
                    "last_name": person.last_name, "country": person.country,
                    "timezone": person.timezone}
        stored = profile(engine, customer_id) or {}
        tier = _row_of(tiers, customer_id).get("value_tier")
        score = _row_of(scores, customer_id)
        extra = {**score, "value_tier": tier,
                 "has_first_name": bool((person.first_name or "").strip())}
        result.append(CustomerData(
            customer_id,
            TokenValues(customer=customer, profile={**stored, "value_tier": tier},
                        scores=score, campaign=campaign or {}),
            rule_row(stored, extra, timezone=person.timezone, at=when)))
    return result


def _rules(engine: Engine) -> list[Rule]:
    with Session(engine) as session:
        return [rule_of(row) for row in repo.all_rules(session=session)]


@dataclass(frozen=True)
class CustomerPreview:
    """A template rendered for one customer, with the rules that fired and why."""

    customer_id: str
    rendered: Rendered
    outcome: RuleOutcome
    values: TokenValues


def preview(engine: Engine, *, source: str, kind: str, customer_ids: Sequence[str],
            at: datetime | None = None) -> tuple[list[LintMessage], list[CustomerPreview]]:
    """The lint messages of ``source`` and its render for each customer (up to
    ``MAX_PREVIEW``)."""
    _check_kind(kind)
    if not customer_ids or len(customer_ids) > MAX_PREVIEW:
        raise PersonalisationProblem("customerIds", f"customerIds: give 1-{MAX_PREVIEW} "
                                                    "customer ids")
    messages = lint_source(engine, source, kind)
    rules = _rules(engine)
    keys = frozenset(rule.key for rule in rules)
    previews = []
    for data in customer_data(engine, customer_ids, at=at):
        outcome = evaluate(rules, data.rule_row)
        values = TokenValues(data.values.customer, data.values.profile, data.values.scores,
                             data.values.campaign, outcome.chosen, keys)
        previews.append(CustomerPreview(data.customer_id,
                                        render_template(kind, source, values), outcome,
                                        values))
    return messages, previews


def contrasting_customers(engine: Engine, count: int = 3) -> list[str]:
    """Up to ``count`` very different customers to preview with: the highest-value
    customer of each of the most common lifecycle stages, one stage each."""
    profiles = all_profiles(engine)
    if profiles.is_empty():
        return []
    stages = (profiles.group_by("lifecycle_stage").len()
              .sort(["len", "lifecycle_stage"], descending=[True, False])
              ["lifecycle_stage"].to_list())
    chosen = []
    for stage in stages[:count]:
        best = (profiles.filter(pl.col("lifecycle_stage") == stage)
                .sort(["lifetime_revenue", "customer_id"], descending=[True, False]))
        chosen.append(best["customer_id"][0])
    return chosen


@dataclass(frozen=True)
class PersonalizedContent:
    """A campaign's subject, body and call to action rendered for one customer (None for
    a kind the campaign has no template for), and the rules that fired."""

    customer_id: str
    campaign_id: str
    subject: Rendered | None
    body: Rendered | None
    cta: Rendered | None
    outcome: RuleOutcome
    templates: dict[str, ContentTemplate]


def personalized_content(engine: Engine, customer_id: str, campaign_id: str, *,
                         at: datetime | None = None) -> PersonalizedContent:
    with Session(engine, expire_on_commit=False) as session:
        campaign = repo.get_campaign(session=session, campaign_id=campaign_id)
        if campaign is None:
            raise PersonalisationProblem("campaignId", f"campaignId: no campaign has id "
                                                       f"{campaign_id!r}")
        links = dict(repo.campaign_templates(session=session, campaign_id=campaign_id))
    values = {"id": campaign.campaign_id, "name": campaign.name,
              "category": campaign.category, "sender_name": campaign.sender_name,
              "subject_line": campaign.subject_line}
    data = customer_data(engine, [customer_id], campaign=values, at=at)[0]
    rules = _rules(engine)
    outcome = evaluate(rules, data.rule_row)
    tokens = TokenValues(data.values.customer, data.values.profile, data.values.scores,
                         values, outcome.chosen, frozenset(rule.key for rule in rules))
    rendered = {kind: render_template(kind, links[kind].source, tokens)
                if kind in links else None for kind in KINDS}
    return PersonalizedContent(customer_id, campaign_id, rendered["subject"],
                               rendered["body"], rendered["cta"], outcome, links)
