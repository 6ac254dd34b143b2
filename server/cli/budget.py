"""``mailscope budget``: the spend report, the optimal allocation and the alert check
(cron-able: ``mailscope budget alerts`` once a day)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

import typer

from server.cli.common import DatabaseUrl, fail, use_database

app = typer.Typer(help="Budget: what each category returns, where the next dollar goes, "
                       "alerts.", no_args_is_help=True)

FromOption = Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD).")]
ToOption = Annotated[str | None, typer.Option("--to", help="Day after the last (YYYY-MM-DD).")]
ModelOption = Annotated[str | None, typer.Option(
    "--model", help="Attribution model crediting revenue (default: each month's order "
                    "revenue split by spend).")]


def _day(option: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"{option} {value!r} is not a date; use YYYY-MM-DD, e.g. 2026-03-01") \
            from None


def _query(start: str | None, end: str | None, model: str | None):  # type: ignore[no-untyped-def]
    from server.runners.budget import BudgetQuery

    query = BudgetQuery(start=_day("--from", start), end=_day("--to", end), model=model)
    try:
        query.validate()
    except ValueError as error:
        raise fail(str(error)) from None
    return query


def _number(value: float | None, fmt: str = "{:,.2f}") -> str:
    return "—" if value is None else fmt.format(value)


@app.command()
def report(start: FromOption = None, end: ToOption = None, model: ModelOption = None,
           database_url: DatabaseUrl = None) -> None:
    """Spend, revenue, ROI %, CPA, efficiency and consistency per category."""
    from server.db.engine import engine_for
    from server.runners.budget import budget_data, performance

    settings = use_database(database_url)
    data = budget_data(engine_for(settings.database_url), _query(start, end, model),
                       settings.currency)
    typer.echo(f"{'category':<20} {'spend':>14} {'revenue':>14} {'ROI %':>9} {'CPA':>10} "
               f"{'effic.':>7} {'consist.':>8}")
    for row in performance(data):
        typer.echo(f"{row.category:<20} {row.spend:>14,.2f} {row.revenue:>14,.2f} "
                   f"{_number(row.roi_percent, '{:,.1f}'):>9} {_number(row.cpa):>10} "
                   f"{_number(row.efficiency, '{:.2f}'):>7} "
                   f"{_number(row.consistency, '{:.2f}'):>8}")
    typer.echo(f"currency {data.currency}; {data.emails_sent:,} emails sent")


@app.command()
def optimize(total: Annotated[float | None, typer.Option(
                 help="Monthly budget (default: current monthly spend).")] = None,
             objective: Annotated[str, typer.Option(
                 help="revenue, profit or conversions.")] = "revenue",
             min_share: Annotated[float, typer.Option(help="Minimum share per category.")] = 0.05,
             max_share: Annotated[float, typer.Option(help="Maximum share per category.")] = 0.40,
             start: FromOption = None, end: ToOption = None, model: ModelOption = None,
             database_url: DatabaseUrl = None) -> None:
    """The allocation of a monthly budget that maximises the objective, beside today's."""
    from analytics.budget import OBJECTIVES, Infeasible, Problem
    from server.db.engine import engine_for
    from server.runners.budget import current_total, curves, optimize_fits

    if objective not in OBJECTIVES:
        raise fail(f"--objective {objective!r} is unknown: use {', '.join(OBJECTIVES)}")
    settings = use_database(database_url)
    fits = curves(engine_for(settings.database_url), _query(start, end, model),
                  settings.currency)
    amount = total if total is not None else current_total(fits)
    try:
        plan = optimize_fits(fits, Problem(total=amount, objective=objective,  # type: ignore[arg-type]
                                           min_share=min_share, max_share=max_share))
    except Infeasible as refused:
        raise fail(f"infeasible ({refused.constraint}): {refused.message}") from None
    typer.echo(f"{'category':<20} {'current':>12} {'optimal':>12} {'share':>7} "
               f"{'marg. ROI':>10} bound")
    for line in plan.lines:
        typer.echo(f"{line.category:<20} {line.current_spend:>12,.2f} {line.spend:>12,.2f} "
                   f"{line.share:>7.1%} {line.marginal_roi:>10.2f} {line.bound or ''}")
    typer.echo(f"predicted revenue {plan.revenue:,.2f} (90% {plan.revenue_lower:,.2f} – "
               f"{plan.revenue_upper:,.2f}) vs {plan.current_revenue:,.2f} now; "
               f"optimality {'checked' if plan.evidence.kkt_satisfied else 'NOT confirmed'}")
    for warning in plan.warnings:
        typer.secho(f"warning: {warning}", fg=typer.colors.YELLOW)


@app.command()
def alerts(as_of: Annotated[str | None, typer.Option(
               "--as-of", help="Day to check (default: today, UTC).")] = None,
           database_url: DatabaseUrl = None) -> None:
    """Raise budget alerts (high burn rate, low ROI, high CPA) with the configured
    thresholds; an alert still open is updated, not repeated."""
    from server.db.engine import engine_for
    from server.runners.budget import list_alerts, raise_alerts, thresholds_from

    settings = use_database(database_url)
    engine = engine_for(settings.database_url)
    today = _day("--as-of", as_of) or datetime.now(UTC).date()
    new, still_open = raise_alerts(engine, today=today, currency=settings.currency,
                                   thresholds=thresholds_from(
                                       settings.budget_low_roi_percent,
                                       settings.budget_high_burn_rate,
                                       settings.budget_high_cpa))
    typer.echo(f"{new} new alerts, {still_open} still open")
    for alert in list_alerts(engine):
        typer.echo(f"#{alert.id} {alert.kind:<15} {alert.category:<20} {alert.message}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="budget")
