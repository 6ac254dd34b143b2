"""``mailscope train``, ``mailscope score`` and ``mailscope export scores``."""

from __future__ import annotations

import polars as pl
from sqlalchemy import Engine
from typer.testing import CliRunner

from server.cli import app
from server.runners import predictions as predictions
from tests.server.predictions_world import CUSTOMERS, seed_store

runner = CliRunner()


def test_train_score_and_export(settings, engine: Engine, tmp_path) -> None:
    seed_store(engine)

    trained = runner.invoke(app, ["train", "churn", "--horizon-days", "30"])
    rescored = runner.invoke(app, ["score", "churn", "--shards", "3"])
    exported = runner.invoke(app, ["export", "scores", "-o", str(tmp_path / "scores.csv")])

    assert trained.exit_code == 0, trained.output
    version = predictions.get_version(engine, 1)
    assert f"version 1 (churn): {version.reason}" in trained.output
    assert f"{CUSTOMERS:,} customers scored with version 1 (run 1)" in trained.output
    assert rescored.exit_code == 0, rescored.output
    assert f"{CUSTOMERS:,} customers scored with version 1 (run 2)" in rescored.output
    assert exported.output == f"scores: {CUSTOMERS:,} rows written to {tmp_path / 'scores.csv'}\n"
    frame = pl.read_csv(tmp_path / "scores.csv")
    assert frame.columns == list(predictions.EXPORT_COLUMNS)
    assert frame["churn_model_version"].unique().to_list() == [1]
    engine.dispose()


def test_refusals_say_what_to_do(settings, engine: Engine) -> None:
    unknown = runner.invoke(app, ["train", "nps"])
    empty = runner.invoke(app, ["train", "churn"])
    nothing = runner.invoke(app, ["score"])
    bad_date = runner.invoke(app, ["train", "churn", "--as-of", "soon"])

    assert (unknown.exit_code, unknown.output) == (
        1, "kind 'nps' is unknown; choose one of churn, ltv, open, click\n")
    unknown_score = runner.invoke(app, ["score", "nps"])
    assert (unknown_score.exit_code, unknown_score.output) == (
        1, "kind 'nps' is unknown; choose one of churn, ltv or send-time\n")
    assert empty.exit_code == 1 and "there is no data to model" in empty.output
    assert (nothing.exit_code, nothing.output) == (
        1, "no kind has an active version; train one with `mailscope train churn`\n")
    assert bad_date.output == ("--as-of 'soon' is not a date; use YYYY-MM-DD or an ISO 8601 "
                               "time, e.g. 2026-06-01\n")
    engine.dispose()


def test_score_send_time_and_export(settings, engine: Engine, tmp_path) -> None:
    from tests.server.send_time_world import seed_send_times

    seed_send_times(engine)

    computed = runner.invoke(app, ["score", "send-time"])
    exported = runner.invoke(app, ["export", "scores", "-o", str(tmp_path / "scores.csv")])

    assert (computed.exit_code, computed.output) == (
        0, "5 send times written (3 from customer, 1 from global, 1 from segment)\n")
    assert exported.exit_code == 0, exported.output
    frame = pl.read_csv(tmp_path / "scores.csv")
    assert frame["best_send_hour"].to_list()[:4] == [8, 8, 21, 8]
    engine.dispose()
