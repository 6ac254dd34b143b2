"""``mailscope recommend --customer ID``, ``mailscope recommendations evaluate`` and
``mailscope variants select CAMPAIGN``: recommendations and variant selection in this
process."""

from __future__ import annotations

from typing import Annotated

import typer

from server.cli.common import DatabaseUrl, fail, parse_date, use_database

recommendations_app = typer.Typer(help="Product recommendations.", no_args_is_help=True)
variants_app = typer.Typer(help="Per-customer variant selection.", no_args_is_help=True)


def recommend(
    customer: Annotated[str, typer.Option("--customer", help="The customer id.")],
    limit: Annotated[int, typer.Option("--limit", help="How many products (1-50).")] = 10,
    database_url: DatabaseUrl = None,
) -> None:
    """Print the customer's recommended products, best first, with their reasons."""
    from server.db.engine import engine_for
    from server.runners import recommendations as runner

    engine = engine_for(use_database(database_url).database_url)
    try:
        rows = runner.for_customer(engine, customer, limit=limit)
    except (LookupError, ValueError) as error:
        raise fail(str(error)) from None
    if not rows:
        raise fail("there is no product catalog or purchase history to recommend from; "
                   "import products and orders first")
    for row in rows:
        typer.echo(f"{row.rank:>2}. {row.product_id}  {row.name} ({row.category})  "
                   f"score {row.score:.3f}  {row.reason}")


@recommendations_app.command("evaluate")
def evaluate(
    split: Annotated[str | None, typer.Option(
        "--split", help="Fit before this date, test after it (default: the last "
                        "--horizon-days of the data).")] = None,
    horizon_days: Annotated[int, typer.Option(
        "--horizon-days", help="Days after the split whose purchases are the test.")] = 30,
    database_url: DatabaseUrl = None,
) -> None:
    """Hit rate@k and recall@k of the recommender against popularity on a time split."""
    from server.db.engine import engine_for
    from server.runners import recommendations as runner

    engine = engine_for(use_database(database_url).database_url)
    try:
        result = runner.run_evaluation(engine, split=parse_date(split, "--split", "2026-09-15"),
                                       horizon_days=horizon_days)
    except ValueError as error:
        raise fail(str(error)) from None
    typer.echo(f"split {result.split.isoformat()}, {result.horizon_days} days after; "
               f"{result.customers:,} customers bought something new")
    typer.echo(f"{'':<14}" + "".join(f"{f'hit@{k}':>10}{f'recall@{k}':>11}"
                                     for k in result.ks))
    for scores in (result.recommender, result.popularity):
        typer.echo(f"{scores.method:<14}" + "".join(
            f"{hit:>10.4f}{recall:>11.4f}"
            for hit, recall in zip(scores.hit_rate, scores.recall, strict=True)))
    typer.echo("ratio         " + "".join(
        f"{_ratio(a, b):>10}{_ratio(c, d):>11}" for a, b, c, d in zip(
            result.recommender.hit_rate, result.popularity.hit_rate,
            result.recommender.recall, result.popularity.recall, strict=True)))


def _ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:.2f}x" if theirs else "-"


@variants_app.command("select")
def select(
    campaign: Annotated[str, typer.Argument(help="The campaign id.")],
    occasion: Annotated[str, typer.Option(
        "--occasion", help="Which send the choice is for; the same occasion keeps the "
                           "same choice.")] = "send",
    target: Annotated[str, typer.Option("--target", help="open or click.")] = "open",
    database_url: DatabaseUrl = None,
) -> None:
    """Choose and log a variant for every customer of the campaign's audience."""
    from server.db.engine import engine_for
    from server.runners import variants as runner

    engine = engine_for(use_database(database_url).database_url)
    params = runner.SelectParams(campaign_id=campaign, occasion=occasion, target=target)
    try:
        with typer.progressbar(length=1000, label=f"choosing variants for {campaign}") as bar:
            shown = [0]

            def report(done: int, total: int) -> None:
                step = int(1000 * done / total) if total else 1000
                bar.update(max(0, step - shown[0]))
                shown[0] = max(shown[0], step)
            result = runner.select(engine, params, progress=report)
    except (LookupError, ValueError) as error:
        raise fail(str(error)) from None
    typer.echo(f"{result.chosen:,} customers chosen, {result.already_logged:,} already "
               f"logged for {result.occasion!r} ({result.method}, exploration "
               f"{result.exploration:.0%})")
    summary = runner.report(engine, campaign)
    for row in summary.variants:
        typer.echo(f"  {row.variant:<8} {row.choices:>8,} choices  mean propensity "
                   f"{row.mean_propensity or 0:.3f}  {row.subject_line}")


def register(app: typer.Typer) -> None:
    app.command(name="recommend")(recommend)
    app.add_typer(recommendations_app, name="recommendations")
    app.add_typer(variants_app, name="variants")
