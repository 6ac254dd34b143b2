"""Template, rule and campaign-link writes. Every write needs the analyst role; a refused
write changes nothing and names the field (and, for sources, the line and column)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import strawberry
from strawberry.types import Info

from schema.context import Context, require
from schema.errors import Error
from schema.personalisation.inputs import RuleInput, RulePatch, TemplateInput, TemplatePatch
from schema.personalisation.types import (
    ContentTemplate,
    LintMessage,
    PersonalisationRule,
    TemplateKind,
)
from server.runners import personalisation as runner

T = TypeVar("T")


@strawberry.type(description="The write was refused; nothing changed. field names the input "
                             "at fault; line and column point into a template source or "
                             "rule condition.")
class PersonalisationRefused(Error):
    field: str
    line: int | None
    column: int | None
    lint: list[LintMessage] = strawberry.field(description="Every lint error of a refused "
                                                           "source.")


@strawberry.type
class TemplateDeleted:
    id: strawberry.ID


@strawberry.type
class RuleDeleted:
    id: strawberry.ID


@strawberry.type
class CampaignTemplateLinked:
    campaign_id: strawberry.ID
    kind: TemplateKind
    template_id: strawberry.ID | None


@strawberry.type
class ExampleRulesInstalled:
    added: list[PersonalisationRule]


TemplateResult = Annotated[ContentTemplate | PersonalisationRefused,
                           strawberry.union("TemplateResult")]
DeleteTemplateResult = Annotated[TemplateDeleted | PersonalisationRefused,
                                 strawberry.union("DeleteTemplateResult")]
RuleResult = Annotated[PersonalisationRule | PersonalisationRefused,
                       strawberry.union("PersonalisationRuleResult")]
DeleteRuleResult = Annotated[RuleDeleted | PersonalisationRefused,
                             strawberry.union("DeletePersonalisationRuleResult")]
LinkResult = Annotated[CampaignTemplateLinked | PersonalisationRefused,
                       strawberry.union("LinkCampaignTemplateResult")]


def _refused(engine: Any, problem: runner.PersonalisationProblem, source: str | None,
             kind: str | None) -> PersonalisationRefused:
    lint: list[LintMessage] = []
    if problem.field == "source" and source is not None and kind is not None:
        lint = [LintMessage.from_row(row) for row in runner.lint_source(engine, source, kind)
                if row.severity == "error"]
    return PersonalisationRefused(message=str(problem), field=problem.field,
                                  line=problem.line, column=problem.column, lint=lint)


async def _write(info: Info[Context, Any], work: Callable[[Any], Any],
                 convert: Callable[[Any], T], source: str | None = None,
                 kind: str | None = None) -> T | PersonalisationRefused:
    """``convert(work(engine))``, or the refusal of a ``PersonalisationProblem``."""
    require(info, "analyst")
    engine = info.context.engine

    def run() -> T | PersonalisationRefused:
        try:
            return convert(work(engine))
        except runner.PersonalisationProblem as problem:
            return _refused(engine, problem, source, kind)

    return await asyncio.to_thread(run)


def _id(value: strawberry.ID) -> int:
    if not str(value).isdigit():
        raise runner.PersonalisationProblem("id", f"id: {value!r} is not a number")
    return int(value)


def _kind_of(engine: Any, template_id: strawberry.ID) -> str | None:
    found = runner.get_template(engine, int(template_id)) if str(template_id).isdigit() \
        else None
    return None if found is None else found.kind


@strawberry.type
class PersonalisationMutation:
    @strawberry.mutation(description="Save a new template (refused with every lint error "
                                     "when it does not lint clean). Needs analyst.")
    async def create_template(self, info: Info[Context, Any],
                              input: TemplateInput) -> TemplateResult:
        return await _write(info, lambda engine: runner.create_template(
            engine, name=input.name, kind=input.kind.value, source=input.source),
            ContentTemplate.from_row, input.source, input.kind.value)

    @strawberry.mutation(description="Rename a template or change its source (a new "
                                     "version). Needs analyst.")
    async def update_template(self, info: Info[Context, Any], id: strawberry.ID,
                              patch: TemplatePatch) -> TemplateResult:
        kind = await asyncio.to_thread(_kind_of, info.context.engine, id)
        return await _write(info, lambda engine: runner.update_template(
            engine, _id(id), name=patch.name, source=patch.source),
            ContentTemplate.from_row, patch.source, kind)

    @strawberry.mutation(description="Delete a template no campaign sends. Needs analyst.")
    async def delete_template(self, info: Info[Context, Any],
                              id: strawberry.ID) -> DeleteTemplateResult:
        return await _write(info, lambda engine: runner.delete_template(engine, _id(id)),
                            lambda _: TemplateDeleted(id=id))

    @strawberry.mutation(description="Make a campaign send a template as its subject, body "
                                     "or call to action (templateId null removes it). Needs "
                                     "analyst.")
    async def link_campaign_template(self, info: Info[Context, Any],
                                     campaign_id: strawberry.ID, kind: TemplateKind,
                                     template_id: strawberry.ID | None = None) -> LinkResult:
        return await _write(info, lambda engine: runner.link_campaign_template(
            engine, campaign_id=str(campaign_id), kind=kind.value,
            template_id=None if template_id is None else _id(template_id)),
            lambda _: CampaignTemplateLinked(campaign_id=campaign_id, kind=kind,
                                             template_id=template_id))

    @strawberry.mutation(description="Add a personalisation rule. Needs analyst.")
    async def create_personalisation_rule(self, info: Info[Context, Any],
                                          input: RuleInput) -> RuleResult:
        rule = input.to_rule()
        return await _write(info, lambda engine: runner.create_rule(engine, rule),
                            PersonalisationRule.from_row)

    @strawberry.mutation(description="Change a rule (enable or disable it with enabled). "
                                     "Needs analyst.")
    async def update_personalisation_rule(self, info: Info[Context, Any], id: strawberry.ID,
                                          patch: RulePatch) -> RuleResult:
        changes = patch.changes()
        return await _write(info, lambda engine: runner.update_rule(engine, _id(id), **changes),
                            PersonalisationRule.from_row)

    @strawberry.mutation(description="Delete a rule. Needs analyst.")
    async def delete_personalisation_rule(self, info: Info[Context, Any],
                                          id: strawberry.ID) -> DeleteRuleResult:
        return await _write(info, lambda engine: runner.delete_rule(engine, _id(id)),
                            lambda _: RuleDeleted(id=id))

    @strawberry.mutation(description="Add the shipped example rules not there yet (offer, "
                                     "tone, greeting, layout). Needs analyst.")
    async def install_example_rules(self, info: Info[Context, Any]) -> ExampleRulesInstalled:
        require(info, "analyst")
        rows = await asyncio.to_thread(runner.install_example_rules, info.context.engine)
        return ExampleRulesInstalled(added=[PersonalisationRule.from_row(row) for row in rows])
