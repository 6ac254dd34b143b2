"""Personalisation reads: templates, lint, previews, rules and a customer's personalised
content for a campaign. Every read needs the viewer role."""

from __future__ import annotations

import asyncio
from typing import Any

import strawberry
from strawberry.types import Info

from analytics.personalisation.tokens import NAMESPACES
from schema.context import Context, require
from schema.pagination import DEFAULT_PAGE, Connection, connection, page_window
from schema.personalisation.types import (
    ContentTemplate,
    CustomerRender,
    LintMessage,
    PersonalisationRule,
    PersonalizedContent,
    TemplateKind,
    TemplatePreview,
    TokenInfo,
)
from server.runners import personalisation as runner


class PersonalisationError(ValueError):
    """A read the API cannot answer; the message names the argument and the fix."""


def _source_of(engine: Any, template_id: strawberry.ID | None, source: str | None,
               kind: TemplateKind) -> tuple[str, str]:
    if (template_id is None) == (source is None):
        raise PersonalisationError("give either templateId or source")
    if template_id is None:
        return str(source), kind.value
    found = runner.get_template(engine, int(template_id)) if str(template_id).isdigit() \
        else None
    if found is None:
        raise PersonalisationError(f"templateId: no template has id {template_id}")
    return found.source, found.kind


def _preview(engine: Any, template_id: strawberry.ID | None, source: str | None,
             kind: TemplateKind, customer_ids: list[strawberry.ID] | None) -> TemplatePreview:
    text, kind_name = _source_of(engine, template_id, source, kind)
    ids = [str(value) for value in customer_ids] if customer_ids else \
        runner.contrasting_customers(engine)
    if not ids:
        raise PersonalisationError("customerIds: there are no customer profiles to preview "
                                   "with yet; import customers or pass customerIds")
    try:
        messages, previews = runner.preview(engine, source=text, kind=kind_name,
                                            customer_ids=ids)
    except runner.PersonalisationProblem as problem:
        raise PersonalisationError(str(problem)) from None
    return TemplatePreview(kind=TemplateKind(kind_name),
                           lint=[LintMessage.from_row(row) for row in messages],
                           customers=[CustomerRender.from_preview(row) for row in previews])


def _content(engine: Any, customer_id: str, campaign_id: str) -> PersonalizedContent:
    try:
        return PersonalizedContent.from_content(
            runner.personalized_content(engine, customer_id, campaign_id))
    except runner.PersonalisationProblem as problem:
        raise PersonalisationError(str(problem)) from None


def _tokens(engine: Any) -> list[TokenInfo]:
    _, shares = runner.token_gaps(engine)
    rows = [TokenInfo(token=f"{space}.{name}", description=text,
                      empty_share=shares.get(f"{space}.{name}"))
            for space, fields in NAMESPACES.items() for name, text in fields.items()]
    keys = sorted({rule.key for rule in runner.rules_page(engine, offset=0, first=1000)[0]})
    return rows + [TokenInfo(token=f"rules.{key}", description="set by a personalisation "
                             "rule", empty_share=shares.get(f"rules.{key}")) for key in keys]


@strawberry.type
class PersonalisationQuery:
    @strawberry.field(description="Saved templates by name, of one kind or all; search "
                                  "matches the name or the source.")
    async def templates(self, info: Info[Context, Any], first: int = DEFAULT_PAGE,
                        after: str | None = None, kind: TemplateKind | None = None,
                        search: str | None = None) -> Connection[ContentTemplate]:
        require(info, "viewer")
        offset, limit = page_window(first, after)
        rows, total = await asyncio.to_thread(
            lambda: runner.templates_page(info.context.engine, offset=offset, first=limit,
                                          kind=kind.value if kind else None, search=search))
        return connection(rows, offset=offset, first=limit, total=total,
                          to_node=ContentTemplate.from_row)

    @strawberry.field
    async def template(self, info: Info[Context, Any],
                       id: strawberry.ID) -> ContentTemplate | None:
        require(info, "viewer")
        if not str(id).isdigit():
            return None
        row = await asyncio.to_thread(runner.get_template, info.context.engine, int(id))
        return None if row is None else ContentTemplate.from_row(row)

    @strawberry.field(description="Every token templates may use, with how often it is "
                                  "empty among customers.")
    async def personalisation_tokens(self, info: Info[Context, Any]) -> list[TokenInfo]:
        require(info, "viewer")
        return await asyncio.to_thread(_tokens, info.context.engine)

    @strawberry.field(description="Syntax errors, unknown tokens and tokens without a "
                                  "fallback that are often empty, each with line and column.")
    async def lint_template(self, info: Info[Context, Any], source: str,
                            kind: TemplateKind = TemplateKind.BODY) -> list[LintMessage]:
        require(info, "viewer")
        rows = await asyncio.to_thread(runner.lint_source, info.context.engine, source,
                                       kind.value)
        return [LintMessage.from_row(row) for row in rows]

    @strawberry.field(description="A saved template (templateId) or a source rendered for "
                                  "each customer (default: three very different ones), "
                                  "with the rules that fired and why.")
    async def preview_template(self, info: Info[Context, Any],
                               template_id: strawberry.ID | None = None,
                               source: str | None = None,
                               kind: TemplateKind = TemplateKind.BODY,
                               customer_ids: list[strawberry.ID] | None = None,
                               ) -> TemplatePreview:
        require(info, "viewer")
        return await asyncio.to_thread(_preview, info.context.engine, template_id, source,
                                       kind, customer_ids)

    @strawberry.field(description="Personalisation rules in the order they are tried "
                                  "(priority, then id).")
    async def personalisation_rules(self, info: Info[Context, Any], first: int = DEFAULT_PAGE,
                                    after: str | None = None, enabled: bool | None = None,
                                    key: str | None = None,
                                    ) -> Connection[PersonalisationRule]:
        require(info, "viewer")
        offset, limit = page_window(first, after)
        rows, total = await asyncio.to_thread(
            lambda: runner.rules_page(info.context.engine, offset=offset, first=limit,
                                      enabled=enabled, key=key))
        return connection(rows, offset=offset, first=limit, total=total,
                          to_node=PersonalisationRule.from_row)

    @strawberry.field
    async def personalisation_rule(self, info: Info[Context, Any],
                                   id: strawberry.ID) -> PersonalisationRule | None:
        require(info, "viewer")
        if not str(id).isdigit():
            return None
        row = await asyncio.to_thread(runner.get_rule, info.context.engine, int(id))
        return None if row is None else PersonalisationRule.from_row(row)

    @strawberry.field(description="The campaign's subject, body and call to action rendered "
                                  "for the customer, with the rules that fired.")
    async def personalized_content(self, info: Info[Context, Any], customer_id: strawberry.ID,
                                   campaign_id: strawberry.ID) -> PersonalizedContent:
        require(info, "viewer")
        return await asyncio.to_thread(_content, info.context.engine, str(customer_id),
                                       str(campaign_id))
