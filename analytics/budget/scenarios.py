"""Budget scenarios: named variations of the total and the bounds, each solved by the
optimiser and compared on predicted revenue, conversions, ROI and CPA.

A scenario scales the total by ``budget_factor`` and sets the default maximum share; a
focus raises the minimum share of the categories in one group (content, optimisation,
acquisition) so together they get at least ``focus_share`` of the budget. Which group a
category is in comes from ``GROUPS`` (editable by the caller).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from analytics.budget.optimizer import Infeasible, Limits, Plan, Problem, Response, optimize

GROUPS: dict[str, str] = {
    "content": "content", "copywriting": "content", "design": "content",
    "testing": "optimisation", "technology": "optimisation", "a_b_testing": "optimisation",
    "list_management": "optimisation", "optimisation": "optimisation",
    "acquisition": "acquisition", "advertising": "acquisition",
    "lead_generation": "acquisition", "paid_search": "acquisition", "social": "acquisition",
    "display": "acquisition", "affiliate": "acquisition",
}


@dataclass(frozen=True)
class Scenario:
    """A variation of the base problem."""

    name: str
    budget_factor: float = 1.0
    max_share: float | None = None
    min_share: float | None = None
    focus: str | None = None
    focus_share: float = 0.0
    limits: Mapping[str, Limits] = field(default_factory=dict)
    description: str = ""


PRESETS: tuple[Scenario, ...] = (
    Scenario("conservative", budget_factor=0.9, max_share=0.30,
             description="10% less money, spread wide: no category above 30%"),
    Scenario("aggressive_growth", budget_factor=1.3, max_share=0.50,
             description="30% more money, up to half in one category"),
    Scenario("content_focused", focus="content", focus_share=0.35,
             description="content categories get at least 35% between them"),
    Scenario("optimisation_heavy", focus="optimisation", focus_share=0.30,
             description="testing, technology and list management get at least 30%"),
    Scenario("acquisition_focused", focus="acquisition", focus_share=0.60, max_share=0.50,
             description="acquisition categories get at least 60%"),
)


@dataclass(frozen=True)
class ScenarioResult:
    """A scenario's plan, or why it has none."""

    scenario: Scenario
    total: float
    plan: Plan | None
    error: Infeasible | None
    note: str | None = None


def scenario_problem(base: Problem, scenario: Scenario, categories: Sequence[str],
                     groups: Mapping[str, str] | None = None) -> tuple[Problem, str | None]:
    """The problem ``scenario`` poses on top of ``base``, and a note when its focus group
    has no category."""
    groups = GROUPS if groups is None else groups
    limits = dict(base.limits)
    note = None
    min_share = base.min_share if scenario.min_share is None else scenario.min_share
    max_share = base.max_share if scenario.max_share is None else scenario.max_share
    if scenario.focus is not None:
        members = sorted(c for c in categories if groups.get(c) == scenario.focus)
        if not members:
            note = (f"no category is in the {scenario.focus} group, so this scenario equals "
                    "the base allocation at its budget")
        else:
            each = max(scenario.focus_share / len(members), min_share)
            for c in members:
                own = limits.get(c, Limits())
                if own.fixed is None:
                    limits[c] = replace(own, min_share=each,
                                        max_share=max(own.max_share or max_share, each))
    limits.update(scenario.limits)
    return replace(base, total=base.total * scenario.budget_factor, min_share=min_share,
                   max_share=max_share, limits=limits), note


def run_scenarios(responses: Sequence[Response], base: Problem,
                  scenarios: Sequence[Scenario] = PRESETS,
                  groups: Mapping[str, str] | None = None) -> list[ScenarioResult]:
    """Each scenario solved on ``responses``; infeasible ones carry their error."""
    names = [r.category for r in responses]
    results = []
    for scenario in scenarios:
        problem, note = scenario_problem(base, scenario, names, groups)
        try:
            plan: Plan | None = optimize(responses, problem)
            error = None
        except Infeasible as refused:
            plan, error = None, refused
        results.append(ScenarioResult(scenario=scenario, total=problem.total, plan=plan,
                                      error=error, note=note))
    return results
