"""Variant selection: start a selection job for a campaign's audience, choose for one
customer now, list the logged choices and read the report with off-policy estimates.
Reads need the viewer role, selections the analyst role."""

from __future__ import annotations

import asyncio
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from analytics.personalisation.off_policy import Estimate
from schema.context import Context, require
from schema.errors import Error, NotFound
from schema.jobs.types import Job, JobNotStarted
from schema.pagination import DEFAULT_PAGE, Connection, connection, page_window
from server.db.models import VariantChoice as VariantChoiceRow
from server.runners import variants as runner
from server.runners.jobs import start_job


@strawberry.enum(description="The outcome a selection optimises.")
class SelectionTarget(Enum):
    OPEN = "open"
    CLICK = "click"


@strawberry.type(description="One logged choice: the variant a customer got, with the "
                             "probability the policy had of choosing it.")
class VariantChoice:
    campaign_id: strawberry.ID
    customer_id: strawberry.ID
    occasion: str
    variant_id: str
    propensity: float
    predicted: float
    best_variant: str
    target: str
    policy: str
    policy_version: str
    model_version: int | None
    chosen_at: datetime

    @classmethod
    def from_row(cls, row: VariantChoiceRow) -> VariantChoice:
        return cls(campaign_id=strawberry.ID(row.campaign_id),
                   customer_id=strawberry.ID(row.customer_id), occasion=row.occasion,
                   variant_id=row.variant_id, propensity=row.propensity,
                   predicted=row.predicted, best_variant=row.best_variant, target=row.target,
                   policy=row.policy, policy_version=row.policy_version,
                   model_version=row.model_version, chosen_at=row.chosen_at)


@strawberry.type(description="A variant's allocation: choices, their mean propensity, and "
                             "the sends that followed a choice with their opens.")
class VariantAllocationRow:
    variant_id: str
    subject_line: str
    choices: int
    mean_propensity: float | None
    sends: int
    opens: int
    open_rate: float | None


@strawberry.type(description="A target policy's estimated open rate from the logged "
                             "choices: IPS or SNIPS with a 95% CLT (delta-method) interval.")
class PolicyEstimate:
    policy: str
    method: str
    value: float
    lower: float
    upper: float
    n: int

    @classmethod
    def from_result(cls, result: Estimate) -> PolicyEstimate:
        return cls(policy=result.target, method=result.method, value=result.value,
                   lower=result.lower, upper=result.upper, n=result.n)


@strawberry.type
class VariantSelectionReport:
    campaign_id: strawberry.ID
    choices: int
    outcomes: int = strawberry.field(description="Choices whose send carried the chosen "
                                                 "variant (the estimates use these).")
    variants: list[VariantAllocationRow]
    estimates: list[PolicyEstimate]


@strawberry.type(description="The arguments were refused; nothing was chosen.")
class InvalidSelection(Error):
    pass


SelectVariantsResult = Annotated[Job | JobNotStarted | NotFound | InvalidSelection,
                                 strawberry.union("SelectVariantsResult")]
ChooseVariantResult = Annotated[VariantChoice | NotFound | InvalidSelection,
                                strawberry.union("ChooseVariantResult")]


@strawberry.type
class VariantQuery:
    @strawberry.field(description="The campaign's logged variant choices by customer, "
                                  "optionally of one variant.")
    async def variant_choices(self, info: Info[Context, Any], campaign_id: strawberry.ID,
                              variant_id: str | None = None, first: int = DEFAULT_PAGE,
                              after: str | None = None) -> Connection[VariantChoice]:
        require(info, "viewer")
        offset, limit = page_window(first, after)
        rows, total = await asyncio.to_thread(runner.list_choices, info.context.engine,
                                              str(campaign_id), offset=offset, first=limit,
                                              variant_id=variant_id)
        return connection(rows, offset=offset, first=limit, total=total,
                          to_node=VariantChoice.from_row)

    @strawberry.field(description="Per variant: choices, mean propensity and observed open "
                                  "rate; per target policy (logged, uniform, "
                                  "best_predicted): IPS and SNIPS open-rate estimates with "
                                  "intervals. Null for an unknown campaign.")
    async def variant_selection_report(self, info: Info[Context, Any],
                                       campaign_id: strawberry.ID
                                       ) -> VariantSelectionReport | None:
        require(info, "viewer")
        try:
            result = await asyncio.to_thread(runner.report, info.context.engine,
                                             str(campaign_id))
        except LookupError:
            return None
        return VariantSelectionReport(
            campaign_id=strawberry.ID(result.campaign_id), choices=result.choices,
            outcomes=result.outcomes,
            variants=[VariantAllocationRow(
                variant_id=row.variant, subject_line=row.subject_line, choices=row.choices,
                mean_propensity=row.mean_propensity, sends=row.sends, opens=row.opens,
                open_rate=row.open_rate) for row in result.variants],
            estimates=[PolicyEstimate.from_result(e) for e in result.estimates])


def _problem(error: Exception, campaign_id: strawberry.ID) -> NotFound | InvalidSelection:
    if isinstance(error, LookupError):
        return NotFound(id=campaign_id, message=str(error))
    return InvalidSelection(message=str(error))


@strawberry.type
class VariantMutation:
    @strawberry.mutation(description="Choose a variant for every customer of the "
                                     "campaign's audience in a background job (progress "
                                     "on the jobs page); customers already chosen for the "
                                     "occasion keep their choice. Needs analyst.")
    async def select_variants(self, info: Info[Context, Any], campaign_id: strawberry.ID,
                              occasion: str = "send",
                              target: SelectionTarget = SelectionTarget.OPEN
                              ) -> SelectVariantsResult:
        require(info, "analyst")
        params = runner.SelectParams(campaign_id=str(campaign_id), occasion=occasion,
                                     target=target.value)
        try:
            params.validate()
            await asyncio.to_thread(runner.check_campaign, info.context.engine,
                                    str(campaign_id))
        except (LookupError, ValueError) as error:
            return _problem(error, campaign_id)
        outcome = await asyncio.to_thread(start_job, info.context.engine, "select_variants",
                                          "variant selection", campaign_id=str(campaign_id),
                                          occasion=occasion, target=target.value)
        if isinstance(outcome, str):
            return JobNotStarted(message=outcome)
        return Job.from_row(outcome)

    @strawberry.mutation(description="Choose (and log) a variant for one customer now; the "
                                     "logged choice when there already is one for the "
                                     "occasion. Needs analyst.")
    async def choose_variant(self, info: Info[Context, Any], campaign_id: strawberry.ID,
                             customer_id: strawberry.ID, occasion: str = "send",
                             target: SelectionTarget = SelectionTarget.OPEN
                             ) -> ChooseVariantResult:
        require(info, "analyst")
        try:
            row = await asyncio.to_thread(runner.choose_for_customer, info.context.engine,
                                          str(campaign_id), str(customer_id),
                                          occasion=occasion, target=target.value)
        except (LookupError, ValueError) as error:
            return _problem(error, campaign_id)
        return VariantChoice.from_row(row)
