"""``mailscope train``, ``mailscope score`` and ``mailscope export scores``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
from sqlalchemy import Engine
from typer.testing import CliRunner

from server.cli import app
from server.runners import predictions as predictions
from tests.server.predictions_world import CUSTOMERS, seed_store, store

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


def test_a_purchase_only_store_trains_and_serves_lifetime_value(settings, engine: Engine,
                                                                tmp_path) -> None:
    """Customers and orders only (no campaigns, sends or events), imported through the
    CLI up to a cutoff; `train ltv` as of the cutoff scores everyone, and the forecasts
    are judged against the generated store's orders in the 30 days after it."""
    customers, orders, _ = store()
    cutoff, horizon = datetime(2026, 7, 1, tzinfo=UTC), 30
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    customers.select("customer_id", email=pl.format("{}@example.com", "customer_id"),
                     signup_at=pl.col("signup_at").dt.strftime(stamp)
                     ).write_csv(tmp_path / "customers.csv")
    known = orders.filter(pl.col("occurred_at") < cutoff).with_row_index("row")
    known.select(order_id=pl.format("o{}", "row"), customer_id="customer_id",
                 occurred_at=pl.col("occurred_at").dt.strftime(stamp),
                 amount=pl.col("amount").round(2), currency=pl.lit("USD")
                 ).write_csv(tmp_path / "orders.csv")

    imported = [runner.invoke(app, ["import", kind, str(tmp_path / f"{kind}.csv")])
                for kind in ("customers", "orders")]
    trained = runner.invoke(app, ["train", "ltv", "--as-of", "2026-07-01",
                                  "--horizon-days", str(horizon)])
    exported = runner.invoke(app, ["export", "scores", "-o", str(tmp_path / "scores.csv")])

    assert [i.exit_code for i in imported] == [0, 0], [i.output for i in imported]
    assert trained.exit_code == 0, trained.output
    assert "version 1 (ltv): " in trained.output
    assert f"{CUSTOMERS:,} customers scored with version 1 (run 1)" in trained.output
    assert exported.exit_code == 0, exported.output
    scores = pl.read_csv(tmp_path / "scores.csv", schema_overrides={"customer_id": pl.String})
    later = orders.filter(pl.col("occurred_at").is_between(
        cutoff, cutoff + timedelta(days=horizon), closed="left"))
    judged = scores.join(
        later.group_by("customer_id").agg(actual=pl.len(), revenue=pl.col("amount").sum()),
        on="customer_id", how="left").join(
        known.group_by("customer_id").agg(seen=pl.len()), on="customer_id", how="left"
    ).with_columns(pl.col("actual", "revenue", "seen").fill_null(0))
    assert judged.height == CUSTOMERS
    assert judged["churn_probability"].null_count() == CUSTOMERS  # no churn model asked
    assert judged["p_alive"].is_between(0, 1).all()
    assert (judged["expected_orders"] >= 0).all() and (judged["predicted_clv"] >= 0).all()
    # Nobody ordered before the cutoff: no purchase clock yet, nothing expected.
    never = judged.filter(pl.col("seen") == 0)
    assert never["expected_orders"].to_list() == [0.0] * never.height
    # Expected orders follow the history and foresee who buys next.
    assert judged.select(pl.corr("expected_orders", "seen")).item() > 0.8
    assert judged.select(pl.corr("expected_orders", "actual")).item() > 0.6
    # In total within 20 %: the 266 orders that followed have a Poisson error of about
    # 6 %, and the store's dropout (a stop day drawn per customer) is not BG/NBD's.
    assert abs(judged["expected_orders"].sum() / judged["actual"].sum() - 1) < 0.2
    assert abs(judged["predicted_clv"].sum() / judged["revenue"].sum() - 1) < 0.2
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
