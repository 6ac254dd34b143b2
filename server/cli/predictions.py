"""``mailscope train KIND``, ``mailscope score [KIND]`` and the scores export: the
prediction jobs run in this process, with progress bars."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from server.cli.common import DatabaseUrl, fail, parse_date, use_database

if TYPE_CHECKING:
    import polars as pl
    from sqlalchemy import Engine

    from server.runners.predictions import Progress

_STEPS = 1000
# `mailscope score send-time` (either spelling) computes send times, not a model score.
SEND_TIME_NAMES = ("send-time", "send_time")


def _as_of(text: str | None) -> datetime | None:
    return parse_date(text, "--as-of", "2026-06-01")


class _Bar:
    """A progress bar fed with (share, detail) reports."""

    def __init__(self, bar: object) -> None:
        self._bar = bar
        self._shown = 0

    def __call__(self, share: float, detail: str) -> None:
        target = int(share * _STEPS)
        self._bar.label = detail  # type: ignore[attr-defined]
        self._bar.update(max(0, target - self._shown))  # type: ignore[attr-defined]
        self._shown = max(self._shown, target)


def _scaled(report: Progress, start: float, width: float) -> Progress:
    return lambda share, detail: report(start + share * width, detail)


def train(
    kind: Annotated[str, typer.Argument(help="What to train: churn, ltv, open or click.")],
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Train with data up to this date (default: the latest data).")] = None,
    horizon_days: Annotated[int | None, typer.Option(
        "--horizon-days", help="Days ahead the model predicts (default: "
                               "MAILSCOPE_CHURN_HORIZON_DAYS, 60, or "
                               "MAILSCOPE_LTV_HORIZON_DAYS, 90).")] = None,
    score: Annotated[bool, typer.Option(help="Score every customer with the new version "
                                             "when it is active.")] = True,
    database_url: DatabaseUrl = None,
) -> None:
    """Train a model version on a time-based holdout and store it; the first version of
    a kind becomes active (later ones wait for `activateModel`)."""
    from server.db.engine import engine_for
    from server.db.models import SCORED_KINDS
    from server.runners import predictions as runner

    settings = use_database(database_url)
    try:
        horizon = (runner.default_horizon_days(kind, settings) if horizon_days is None
                   else horizon_days)
    except ValueError as error:
        raise fail(str(error)) from None
    params = runner.TrainParams(kind=kind, as_of=_as_of(as_of), horizon_days=horizon,
                                num_threads=settings.prediction_threads)
    engine = engine_for(settings.database_url)
    try:
        params.validate()
        with typer.progressbar(length=_STEPS, label=f"training {kind}") as bar:
            version = runner.train_model(engine, params, progress=_Bar(bar))
    except ValueError as error:
        raise fail(str(error)) from None
    metrics = runner.version_metrics(version)
    model, baseline = metrics["model"], metrics["baseline"]
    typer.echo(f"version {version.id} ({version.kind}): {version.reason}")
    if metrics["type"] == "classifier":
        typer.echo(f"holdout AUC {model['auc']:.3f} (baseline {baseline['auc']:.3f}), log "
                   f"loss {model['log_loss']:.4f} (baseline {baseline['log_loss']:.4f})")
    else:
        typer.echo(f"holdout revenue RMSE {model['rmse']:.2f} (BG/NBD + Gamma-Gamma "
                   f"{baseline['rmse']:.2f}), MAE {model['mae']:.2f} "
                   f"({baseline['mae']:.2f}), bias {model['bias']:+.1%} "
                   f"({baseline['bias']:+.1%})")
    if version.active and score and version.kind in SCORED_KINDS:
        _score(engine, version.id or 0, settings.score_shards)
    elif not version.active:
        typer.echo(f"not active: activate it with the activateModel mutation "
                   f"(id {version.id}) or the predictions page")


def _score(engine: Engine, version_id: int, shards: int) -> None:
    from server.runners import predictions as runner

    run = runner.start_scoring(engine, version_id, shards=shards)
    rows = 0
    with typer.progressbar(length=_STEPS, label=f"scoring version {version_id}") as bar:
        report = _Bar(bar)
        for shard in range(shards):
            result = runner.score_shard(engine, run.id or 0, shard,
                                        progress=_scaled(report, shard / shards, 1 / shards))
            rows += result.rows
            if result.drift_warning:
                typer.secho(f"warning: {result.drift_warning}", fg=typer.colors.YELLOW,
                            err=True)
    typer.echo(f"{rows:,} customers scored with version {version_id} (run {run.id})")
    if result.published and result.kind == "churn":
        from server.runners.customers import refresh_all

        # Profiles carry the published churn scores (rules and churn-risk segments).
        refreshed = refresh_all(engine)
        typer.echo(f"{refreshed['profiles']:,} profiles and their segments refreshed with "
                   "the new churn scores")


def score(
    kind: Annotated[str | None, typer.Argument(help="churn, ltv or send-time (default: every "
                                                    "kind with an active version, then "
                                                    "send times).")] = None,
    shards: Annotated[int | None, typer.Option(
        help="Shards to split the customers into (default: MAILSCOPE_SCORE_SHARDS).")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Score every customer with the active version of KIND (or compute every customer's
    best send time); the new scores replace the old ones in one step."""
    from server.db.engine import engine_for
    from server.db.models import SCORED_KINDS
    from server.runners import predictions as runner

    settings = use_database(database_url)
    engine = engine_for(settings.database_url)
    if kind is not None and kind.strip().lower() in SEND_TIME_NAMES:
        _send_times(engine)
        return
    try:
        kinds = [runner.check_kind(kind)] if kind else list(SCORED_KINDS)
    except ValueError:
        # `score` takes fewer kinds than `train`: name the ones it takes.
        raise fail(f"kind {kind!r} is unknown; choose one of "
                   f"{', '.join(SCORED_KINDS)} or send-time") from None
    if kinds[0] not in SCORED_KINDS:
        raise fail(f"{kinds[0]} models score (customer, campaign) pairs on demand, not every "
                   "customer; score churn or ltv")
    count = shards or settings.score_shards
    if count < 1:
        raise fail(f"--shards must be >= 1, got {count}")
    scored = 0
    for name in kinds:
        version = runner.active_version(engine, name)
        if version is None:
            if kind:
                raise fail(f"{name} has no active version; train one with "
                           f"`mailscope train {name}`")
            continue
        _score(engine, version.id or 0, count)
        scored += 1
    if not scored:
        raise fail("no kind has an active version; train one with `mailscope train churn`")
    if kind is None:
        _send_times(engine)


def _send_times(engine: Engine) -> None:
    from server.runners.send_time import compute_send_times

    summary = compute_send_times(engine)
    sources = ", ".join(f"{count:,} from {source}"
                        for source, count in sorted(summary.sources.items()))
    typer.echo(f"{summary.rows:,} send times written ({sources or 'no customers'})")


def export_scores(output: Path, fmt: str, database_url: str | None) -> None:
    """``mailscope export scores``: one row per customer with every published score."""
    from server.db.engine import engine_for
    from server.export import write_export
    from server.runners.predictions import export_scores as scores

    settings = use_database(database_url)
    frame: pl.DataFrame = scores(engine_for(settings.database_url))
    write_export(frame, output, fmt)
    typer.echo(f"scores: {frame.height:,} rows written to {output}")


def register(app: typer.Typer) -> None:
    app.command(name="train")(train)
    app.command(name="score")(score)
