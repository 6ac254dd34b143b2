"""Personalisation object types: templates, lint messages, rules with their reasons, and
previews. ``PersonalizedContent`` is the one place a customer's content for a campaign is
assembled; variant choice and recommendations join it as fields of their own."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from analytics.personalisation.lint import LintMessage as LintRow
from analytics.personalisation.render import Rendered
from analytics.personalisation.rules import RuleOutcome, RuleResult
from schema.context import Context
from schema.personalisation.variants import VariantChoice
from schema.recommendations.queries import customer_recommendations
from schema.recommendations.types import ProductRecommendation
from server.db import models
from server.runners import personalisation as personalisation_runner
from server.runners import variants as variants_runner
from server.runners.personalisation import CustomerPreview
from server.runners.personalisation import PersonalizedContent as Content


@strawberry.enum(description="What a template renders: a subject line (one line of plain "
                             "text), an HTML body, or a call to action (plain text).")
class TemplateKind(Enum):
    SUBJECT = "subject"
    BODY = "body"
    CTA = "cta"


@strawberry.type(description="A saved template; version counts its saves.")
class ContentTemplate:
    id: strawberry.ID
    name: str
    kind: TemplateKind
    source: str
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: models.ContentTemplate) -> ContentTemplate:
        return cls(id=strawberry.ID(str(row.id)), name=row.name, kind=TemplateKind(row.kind),
                   source=row.source, version=row.version, created_at=row.created_at,
                   updated_at=row.updated_at)

    @strawberry.field(description="The campaigns that send this template as their "
                                  "subject, body or call to action (its kind), by id; a "
                                  "template is deleted only once this is empty.")
    async def campaign_ids(self, info: Info[Context, Any]) -> list[strawberry.ID]:
        ids = await asyncio.to_thread(personalisation_runner.template_campaigns,
                                      info.context.engine, int(self.id))
        return [strawberry.ID(campaign_id) for campaign_id in ids]


@strawberry.type(description="A lint problem: severity is error (cannot be saved) or "
                             "warning; line and column count from 1.")
class LintMessage:
    severity: str
    code: str
    message: str
    line: int
    column: int
    token: str | None

    @classmethod
    def from_row(cls, row: LintRow) -> LintMessage:
        return cls(severity=row.severity, code=row.code, message=row.message, line=row.line,
                   column=row.column, token=row.token)


@strawberry.type(description="A personalisation rule: when condition (segment language) "
                             "holds, rules.<key> takes value; higher priority wins its key.")
class PersonalisationRule:
    id: strawberry.ID
    name: str
    condition: str
    key: str
    value: str
    priority: int
    enabled: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: models.PersonalisationRule) -> PersonalisationRule:
        return cls(id=strawberry.ID(str(row.id)), name=row.name, condition=row.condition,
                   key=row.key, value=row.value, priority=row.priority, enabled=row.enabled,
                   created_at=row.created_at, updated_at=row.updated_at)


@strawberry.type(description="One condition of a rule for one customer.")
class RuleReason:
    condition: str
    values: str = strawberry.field(description="The customer's values the condition read, "
                                               "as a JSON object.")
    held: bool


@strawberry.type(description="A rule for one customer: matched (its condition held), "
                             "fired (it set its key), or shadowed by a higher rule.")
class RuleDecision:
    rule_id: strawberry.ID
    name: str
    key: str
    value: str
    priority: int
    matched: bool
    fired: bool
    shadowed_by: strawberry.ID | None
    reasons: list[RuleReason]

    @classmethod
    def from_result(cls, result: RuleResult) -> RuleDecision:
        rule = result.rule
        return cls(rule_id=strawberry.ID(str(rule.id)), name=rule.name, key=rule.key,
                   value=rule.value, priority=rule.priority, matched=result.matched,
                   fired=result.fired,
                   shadowed_by=None if result.shadowed_by is None
                   else strawberry.ID(str(result.shadowed_by)),
                   reasons=[RuleReason(condition=reason.condition,
                                       values=json.dumps(reason.values, default=str),
                                       held=reason.held)
                            for reason in result.explanation.reasons])


@strawberry.type
class RuleChoice:
    key: str
    value: str


def _decisions(outcome: RuleOutcome) -> list[RuleDecision]:
    return [RuleDecision.from_result(result) for result in outcome.results]


def _choices(outcome: RuleOutcome) -> list[RuleChoice]:
    return [RuleChoice(key=key, value=value) for key, value in sorted(outcome.chosen.items())]


@strawberry.type(description="Rendered text, or why the sandbox refused it (text null).")
class RenderedText:
    text: str | None
    error: str | None

    @classmethod
    def of(cls, rendered: Rendered | None) -> RenderedText | None:
        return None if rendered is None else cls(text=rendered.text, error=rendered.error)


@strawberry.type(description="A template rendered for one customer, with every enabled "
                             "rule's decision and why.")
class CustomerRender:
    customer_id: strawberry.ID
    first_name: str | None
    lifecycle_stage: str | None
    rendered: RenderedText
    chosen: list[RuleChoice]
    rules: list[RuleDecision]

    @classmethod
    def from_preview(cls, preview: CustomerPreview) -> CustomerRender:
        values = preview.values
        rendered = RenderedText.of(preview.rendered)
        assert rendered is not None
        return cls(customer_id=strawberry.ID(preview.customer_id),
                   first_name=values.customer.get("first_name"),
                   lifecycle_stage=values.profile.get("lifecycle_stage"),
                   rendered=rendered, chosen=_choices(preview.outcome),
                   rules=_decisions(preview.outcome))


@strawberry.type(description="A template's lint messages and its render for each customer.")
class TemplatePreview:
    kind: TemplateKind
    lint: list[LintMessage]
    customers: list[CustomerRender]


@strawberry.type(description="A campaign's subject, body and call to action for one "
                             "customer (null for a kind the campaign has no template for).")
class PersonalizedContent:
    customer_id: strawberry.ID
    campaign_id: strawberry.ID
    subject: RenderedText | None
    body: RenderedText | None
    cta: RenderedText | None
    templates: list[ContentTemplate]
    chosen: list[RuleChoice]
    fired_rules: list[RuleDecision]
    rules: list[RuleDecision] = strawberry.field(description="Every enabled rule's "
                                                             "decision, fired or not.")

    @classmethod
    def from_content(cls, content: Content) -> PersonalizedContent:
        decisions = _decisions(content.outcome)
        return cls(customer_id=strawberry.ID(content.customer_id),
                   campaign_id=strawberry.ID(content.campaign_id),
                   subject=RenderedText.of(content.subject), body=RenderedText.of(content.body),
                   cta=RenderedText.of(content.cta),
                   templates=[ContentTemplate.from_row(row) for _, row in
                              sorted(content.templates.items())],
                   chosen=_choices(content.outcome),
                   fired_rules=[decision for decision in decisions if decision.fired],
                   rules=decisions)

    @strawberry.field(description="Products to show this customer, each with its reason "
                                  "(the recommendations field's list).")
    async def recommendations(self, info: Info[Context, Any],
                              limit: int = 4) -> list[ProductRecommendation]:
        return await customer_recommendations(info, str(self.customer_id), limit)

    @strawberry.field(description="The subject/content variant the selection policy logged "
                                  "for this customer on this occasion, with its propensity; "
                                  "null until selectVariants or chooseVariant has chosen.")
    async def variant(self, info: Info[Context, Any],
                      occasion: str = "send") -> VariantChoice | None:
        row = await asyncio.to_thread(variants_runner.logged_choice, info.context.engine,
                                      str(self.campaign_id), str(self.customer_id),
                                      occasion=occasion)
        return None if row is None else VariantChoice.from_row(row)


@strawberry.type(description="A token templates may use, and how often it is empty.")
class TokenInfo:
    token: str
    description: str
    empty_share: float | None = strawberry.field(description="Share of customers (0-1) "
                                                             "with the field empty.")

