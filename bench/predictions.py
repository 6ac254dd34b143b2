"""Predictions at scale: churn training, scoring with the database write, sharded
scoring against a single worker, and scoring a generated population of 1M customers
within a memory bound.

Generates the demo in memory (default scale M: 100k customers, 200 campaigns, 180 days;
``--customers`` for a quicker look), builds the feature inputs from its frames (people's
first opens and first clicks per send, from the events), then:

- computes every customer's best local send hour and prints the simulated opens at the
  recommended hours against one global best UTC hour, from the demo's true open model;
- trains the churn model (horizon 30 days) and prints the time against the 20 s goal,
  with the holdout metrics of LightGBM and the baseline, and its AUC against the AUC of
  the true latent churn probability (``server.demo.truth.true_churn_probability``,
  which knows the sends made in the horizon) and against the latent probability averaged
  over the campaigns' random reach (``expected_churn_probability``);
- scores every customer into a fresh SQLite database through the repository (one run,
  one shard), printing customers/s against the 100k/s goal (features, prediction and
  write timed apart);
- scores again in two shards and checks the result equals the single-worker run;
- scores a generated population of ``--population`` customers (1M) in chunks and
  prints the peak resident memory against the 4 GB bound.

    python bench/predictions.py
    python bench/predictions.py --customers 20000 --population 1000000
    python bench/predictions.py --send-time-only
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analytics.predictions import (  # noqa: E402
    FEATURES,
    ServedModel,
    churn_labels,
    classification_metrics,
    customer_features,
    fit_bgnbd,
    fit_gamma_gamma,
    risk_levels,
    shard_of,
    train_churn,
    train_lifetime,
)
from analytics.predictions.churn import CHURN_FEATURES  # noqa: E402
from analytics.predictions.content import CONTENT_COLUMNS, content_counts  # noqa: E402
from analytics.predictions.drift import (  # noqa: E402
    AGE_FEATURES,
    drifted,
    population_stability,
    reference_bins,
)
from analytics.predictions.engagement import (  # noqa: E402
    CAMPAIGNS_SCHEMA,
    ENGAGEMENT_FEATURES,
    SENDS_SCHEMA,
    engagement_pairs,
    train_engagement,
)
from analytics.predictions.lifetime import LTV_FEATURES  # noqa: E402
from analytics.predictions.preferences import (  # noqa: E402
    CATEGORY_FEATURES,
    DEVICE_FEATURES,
    EVENTS_SCHEMA,
    ITEMS_SCHEMA,
    PREFERENCE_FEATURES,
    PRODUCTS_SCHEMA,
    category_features,
    category_spend,
    device_features,
    device_shares,
)
from analytics.predictions.send_time import SENDS_SCHEMA as SEND_TIME_SENDS  # noqa: E402
from analytics.predictions.send_time import send_times  # noqa: E402
from server.db.engine import engine_for  # noqa: E402
from server.db.migrate import upgrade  # noqa: E402
from server.db.models import ModelVersion, ScoreRun  # noqa: E402
from server.db.repository import predictions as repo  # noqa: E402
from server.demo import generate  # noqa: E402
from server.demo.campaigns import OPEN_INTERCEPT  # noqa: E402
from server.demo.engagement import hour_open_effect  # noqa: E402
from server.demo.truth import (  # noqa: E402
    expected_churn_probability,
    true_churn_probability,
)

HORIZON_DAYS = 30
TRAIN_GOAL_S = 20.0
SCORE_GOAL_PER_S = 100_000
MEMORY_GOAL_GB = 4.0
CHUNK = 200_000


def timed(label: str, work: Callable[[], Any]) -> tuple[Any, float]:
    """``work()`` and its wall time; the process's CPU time is printed beside it, the
    steadier figure on a shared machine (training runs LightGBM on one thread)."""
    start, cpu = time.perf_counter(), time.process_time()
    result = work()
    seconds = time.perf_counter() - start
    print(f"  {label:<40} {seconds:8.2f} s (CPU {time.process_time() - cpu:.2f} s)")
    return result, seconds


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def campaign_inputs(campaigns: pl.DataFrame) -> pl.DataFrame:
    """The campaigns as the engagement models read them: the import's counts from each
    body (``content_counts``), its template type and category."""
    counts = [content_counts(body).as_tuple() for body in campaigns["html"]]
    return campaigns.select(*CAMPAIGNS_SCHEMA, "category", "template_type").with_columns(
        pl.Series(name, [row[i] for row in counts], dtype=pl.Int64)
        for i, name in enumerate(CONTENT_COLUMNS))


def feature_inputs(customers: int, seed: int) -> dict[str, pl.DataFrame]:
    # Scale M has 200 campaigns; smaller looks keep the demo's one campaign every 3 days.
    campaigns = 200 if customers >= 100_000 else None
    data = generate(customers=customers, campaigns=campaigns, days=180, seed=seed)
    frames = data.frames
    events = frames["events"]
    opens = (events.filter((pl.col("type") == "open") & ~pl.col("machine_open"))
             .group_by("message_id").agg(first_human_open_at=pl.col("occurred_at").min()))
    clicks = (events.filter(pl.col("type") == "click")
              .group_by("message_id").agg(first_click_at=pl.col("occurred_at").min()))
    machine = (events.filter((pl.col("type") == "open") & pl.col("machine_open"))
               .group_by("message_id").agg(machine_open_count=pl.len().cast(pl.Int64)))
    # When a send's recipient stopped mail: an unsubscribe, complaint or hard bounce.
    stops = (events.filter(pl.col("type").is_in(["unsubscribe", "complaint"])
                           | (pl.col("bounce_type") == "hard"))
             .group_by("message_id").agg(stopped_at=pl.col("occurred_at").min()))
    sends = (frames["messages"].select("message_id", "customer_id", "campaign_id", "sent_at")
             .join(opens, on="message_id", how="left")
             .join(clicks, on="message_id", how="left")
             .join(machine, on="message_id", how="left")
             .join(stops, on="message_id", how="left")
             .with_columns(pl.col("machine_open_count").fill_null(0)))
    # People's opens and clicks with their user agents (device preferences), the orders'
    # line items and the products' categories (category preferences).
    # The generator's events name no customer (null): their message does.
    human = (events.filter(pl.col("type").is_in(["open", "click"]) & ~pl.col("machine_open")
                           & pl.col("user_agent").is_not_null())
             .drop("customer_id")
             .join(frames["messages"].select("message_id", "customer_id"), on="message_id")
             .select(list(EVENTS_SCHEMA)))
    return {"customers": frames["customers"].select("customer_id", "signup_at"),
            "events": human,
            "raw_events": events.select("event_id", "type", "occurred_at", "message_id",
                                        "user_agent", "machine_open"),
            "message_customers": frames["messages"].select("message_id", "customer_id"),
            "items": frames["orders"].select(list(ITEMS_SCHEMA)),
            "products": frames["products"].select(list(PRODUCTS_SCHEMA)),
            "stopped": sends.group_by("customer_id").agg(pl.col("stopped_at").min())
            .drop_nulls(),
            "campaign_plan": frames["campaigns"].select("campaign_id", "campaign_type",
                                                        "send_at"),
            "orders": frames["orders"].select("customer_id", "occurred_at",
                                              pl.col("amount").cast(pl.Float64)),
            "messages": sends.select("customer_id", "sent_at", "first_human_open_at",
                                     "first_click_at", "stopped_at"),
            "sends": sends.select(list(SENDS_SCHEMA)),
            "campaigns": campaign_inputs(frames["campaigns"]),
            "audience": frames["customers"].select("customer_id", "timezone",
                                                   segment="country"),
            "customers_truth": data.customers_truth}


def send_time_quality(frames: dict[str, pl.DataFrame]) -> None:
    """Simulated opens at each customer's recommended local hour against one global best
    UTC hour for everyone, from the demo's true open model: the recipient's engagement
    term plus the local time-of-day and preferred-hour effects, at the mean campaign."""
    fit, seconds = timed("send times (all customers)", lambda: send_times(
        frames["sends"].select(list(SEND_TIME_SENDS)), frames["audience"]))
    truth = frames["customers_truth"].join(fit.scores, on="customer_id")
    offset = truth["utc_offset_hours"].to_numpy()
    preferred = truth["preferred_hour"].to_numpy()
    base = OPEN_INTERCEPT + truth["engagement_logit"].to_numpy()

    def expected_opens(local_hour: np.ndarray) -> float:
        logit = base + hour_open_effect(local_hour % 24, preferred)
        return float((1 / (1 + np.exp(-logit))).sum())

    recommended = expected_opens(truth["best_send_hour"].to_numpy())
    # The sender's usual choice: the UTC hour with the highest engaged share overall.
    sends = frames["sends"].with_columns(
        hour=pl.col("sent_at").dt.hour(),
        engaged=pl.col("first_human_open_at").is_not_null()
        | pl.col("first_click_at").is_not_null(),
    ).filter(pl.col("engaged") | (pl.col("machine_open_count") == 0))
    usual = int(sends.group_by("hour").agg(pl.col("engaged").mean())
                .sort("engaged", descending=True)["hour"][0])
    by_utc_hour = [expected_opens(hour + offset) for hour in range(24)]
    best_utc = int(np.argmax(by_utc_hour))
    oracle = expected_opens(preferred)
    sources = dict(fit.scores["source"].value_counts().iter_rows())
    print(f"  send times: {seconds:.2f} s; sources {sources}; prior strength "
          f"{fit.hour_strength:.1f} pseudo-sends (hour), {fit.weekday_strength:.1f} "
          "(weekday)")
    print(f"  expected opens at the recommended local hours: {recommended:,.0f}; at "
          f"{usual:02d}:00 UTC for everyone (best engaged share in the data): "
          f"{by_utc_hour[usual]:,.0f} (lift {recommended / by_utc_hour[usual] - 1:+.1%}); at "
          f"the truly best single UTC hour {best_utc:02d}:00: {by_utc_hour[best_utc]:,.0f} "
          f"(lift {recommended / by_utc_hour[best_utc] - 1:+.1%}); at every customer's true "
          f"preferred hour: {oracle:,.0f} (lift {oracle / by_utc_hour[best_utc] - 1:+.1%})")


def features_at(frames: dict[str, pl.DataFrame], cutoff: Any, *,
                preferences: bool = True) -> pl.DataFrame:
    """Every customer's features at ``cutoff``; without ``preferences`` the device and
    category inputs are left out (those columns null), the cost before they existed."""
    extra = ({"events": frames["events"], "items": frames["items"],
              "products": frames["products"]} if preferences else {})
    return customer_features(frames["customers"], frames["orders"], frames["messages"],
                             cutoff=cutoff, **extra)


def labelled(frames: dict[str, pl.DataFrame], cutoff: Any) -> pl.DataFrame:
    features = features_at(frames, cutoff)
    labels = churn_labels(frames["orders"], frames["messages"], features["customer_id"],
                          cutoff=cutoff, horizon_days=HORIZON_DAYS)
    return features.join(labels, on="customer_id")


def scores_frame(model: ServedModel, features: pl.DataFrame) -> pl.DataFrame:
    p = model.predict(features)
    return pl.DataFrame({"customer_id": features["customer_id"], "probability": p,
                         "risk_level": risk_levels(p)})


def open_run(engine: Any, version_id: int, as_of: Any, shards: int) -> int:
    from sqlmodel import Session

    with Session(engine) as session:
        run = ScoreRun(version_id=version_id, kind="churn", as_of=as_of, shards=shards)
        session.add(run)
        session.commit()
        return run.id or 0


def churn_against_truth(frames: dict[str, pl.DataFrame], holdout: pl.DataFrame,
                        model_auc: float, cutoff: Any) -> float:
    """The churn model's holdout AUC against two latent probabilities: the one that
    knows the sends actually made in the horizon (a draw after the cutoff) and the one
    that averages over them (``expected_churn_probability``)."""
    latent = true_churn_probability(
        frames["customers_truth"], frames["orders"],
        frames["messages"].select("customer_id", "sent_at"), cutoff=cutoff,
        horizon_days=HORIZON_DAYS)
    expected = expected_churn_probability(
        frames["customers_truth"], frames["customers"], frames["orders"],
        frames["campaign_plan"], frames["stopped"], cutoff=cutoff, horizon_days=HORIZON_DAYS)
    churned = holdout.select("customer_id", "churned")
    latent_auc = 0.0
    for name, truth in (("true latent probability (sends made)", latent),
                        ("expected latent probability (sends averaged)", expected)):
        scored = churned.join(truth, on="customer_id")
        truth_auc = classification_metrics(scored["churned"].cast(pl.Float64).to_numpy(),
                                           scored["p_churn"].to_numpy()).auc
        ratio = model_auc / truth_auc
        print(f"  churn AUC {model_auc:.4f} vs the {name} {truth_auc:.4f}: {ratio:.3f} of "
              f"it (goal >= 0.95: {'met' if ratio >= 0.95 else 'MISSED'})")
        latent_auc = latent_auc if name.startswith("expected") else truth_auc
    return latent_auc


FAMILIES = {"history only": FEATURES,
            "+ devices": (*FEATURES, *DEVICE_FEATURES),
            "+ categories": (*FEATURES, *CATEGORY_FEATURES),
            "+ devices and categories": (*FEATURES, *PREFERENCE_FEATURES)}


def feature_families(frames: dict[str, pl.DataFrame], train: pl.DataFrame,
                     holdout: pl.DataFrame, end: Any, latent_auc: float) -> None:
    """The cost of the preference features and what they do to each model's holdout:
    churn (AUC, log loss, share of the latent AUC) and lifetime value (RMSE) trained on
    the history features alone, with each preference family, and with both."""
    horizon = timedelta(days=HORIZON_DAYS)
    cutoff = end - horizon
    timed(f"device preferences at one cutoff ({frames['events'].height:,} opens/clicks)",
          lambda: device_features(frames["events"], cutoff=cutoff))
    timed(f"category preferences at one cutoff ({frames['items'].height:,} orders)",
          lambda: category_features(frames["items"], frames["products"], cutoff=cutoff))
    print(f"  defaults: churn {len(CHURN_FEATURES)} features, lifetime value "
          f"{len(LTV_FEATURES)}")
    for name, features in FAMILIES.items():
        churn, churn_s = timed(f"churn, {name}", lambda f=features: train_churn(
            train, holdout, features=f))
        ltv, ltv_s = timed(f"lifetime value, {name}", lambda f=features: train_lifetime(
            frames["orders"], train, holdout, train_cutoff=end - 2 * horizon,
            holdout_cutoff=cutoff, horizon_days=HORIZON_DAYS, features=f))
        m = churn.model_metrics
        print(f"  {name:<26} churn AUC {m.auc:.4f} log loss {m.log_loss:.4f} ECE "
              f"{m.ece:.4f} ({m.auc / latent_auc:.3f} of the latent AUC; {churn.best_iteration} "
              f"rounds)  LTV RMSE {ltv.model_metrics.rmse:.3f} MAE {ltv.model_metrics.mae:.3f} "
              f"corr {ltv.model_metrics.correlation:.4f}")


def engagement_families(pairs: tuple[pl.DataFrame, ...]) -> None:
    """The open and click models without the spend-share pair feature, with it (the
    default), and with the customers' device and category preferences on top."""
    without = tuple(name for name in ENGAGEMENT_FEATURES if name != "category_spend_share")
    variants = {"without category_spend_share": without,
                "default": ENGAGEMENT_FEATURES,
                "default + preferences": (*ENGAGEMENT_FEATURES, *PREFERENCE_FEATURES)}
    for target in ("open", "click"):
        for name, features in variants.items():
            model, _ = timed(f"{target}, {name}", lambda t=target, f=features:
                             train_engagement(*pairs, target=t, features=f))
            m = model.model_metrics
            print(f"  {target} {name:<30} AUC {m.auc:.4f} log loss {m.log_loss:.4f} "
                  f"ECE {m.ece:.4f} ({model.best_iteration} rounds)")


def read_check(frames: dict[str, pl.DataFrame], before: Any) -> None:
    """Time ``read_preference_inputs`` on a SQLite file holding the demo's whole event
    log (only the columns the read touches, with the message_id index the schema has)."""
    from server.db.repository.bulk import copy_into

    with tempfile.TemporaryDirectory() as folder:
        engine = engine_for(f"sqlite:///{folder}/events.db")
        with engine.begin() as connection:
            for statement in (
                    "CREATE TABLE message (message_id TEXT PRIMARY KEY, customer_id TEXT)",
                    "CREATE TABLE email_event (event_id TEXT PRIMARY KEY, type TEXT, "
                    "occurred_at DATETIME, message_id TEXT, user_agent TEXT, "
                    "machine_open BOOLEAN)",
                    "CREATE INDEX ix_email_event_message_id ON email_event (message_id)",
                    "CREATE TABLE orders (customer_id TEXT, occurred_at DATETIME, items TEXT)",
                    "CREATE TABLE product (product_id TEXT PRIMARY KEY, category TEXT)"):
                connection.exec_driver_sql(statement)
            copy_into(connection, "message", frames["message_customers"])
            copy_into(connection, "email_event", frames["raw_events"])
            copy_into(connection, "orders", frames["items"])
            copy_into(connection, "product", frames["products"])
        cutoffs = (before - timedelta(days=2 * HORIZON_DAYS),
                   before - timedelta(days=HORIZON_DAYS), before)
        counts, count_s = timed(f"count opens/clicks per user agent in SQL, 3 cutoffs "
                                f"({frames['raw_events'].height:,} events)",
                                lambda: repo.read_agent_counts(engine=engine,
                                                               cutoffs=cutoffs))
        inputs, items_s = timed("read order items and products", lambda:
                                repo.read_preference_inputs(engine=engine, before=before))
        shares, shares_s = timed("device features from the counts (one cutoff)", lambda:
                                 device_shares(counts.select(
                                     "customer_id", "user_agent",
                                     n=repo.count_column(before))))
        same = shares.sort("customer_id").equals(
            device_features(frames["events"], cutoff=before).sort("customer_id"))
        print(f"  read {counts.height:,} (customer, user agent) counts in {count_s:.2f} s and "
              f"{inputs['items'].height:,} orders' items, {inputs['products'].height:,} "
              f"products in {items_s:.2f} s; device features from the counts equal those "
              f"from the events: {same}")
        engine.dispose()


def drift_check(frames: dict[str, pl.DataFrame], holdout: pl.DataFrame, end: Any,
                now: pl.DataFrame) -> None:
    """Drift as the runner measures it. Before: the holdout population (a horizon
    before the data end) against the population scored right after training. Now: the
    population at a data end (``reference_at``) against itself right after training,
    then against the population at the next data end about a week later, with ages as
    they are and age-aware; and
    a deliberately shifted population (no order, open or click for 120 more days, half
    the spend), which must still warn."""
    before = population_stability(reference_bins(holdout, CHURN_FEATURES), now)
    # A version trained a week earlier: its data ended just after the last send or
    # order before then, as every data end does.
    week_ago = end - timedelta(days=7)
    last = max(frames["orders"].filter(pl.col("occurred_at") < week_ago)["occurred_at"].max(),
               frames["messages"].filter(pl.col("sent_at") < week_ago)["sent_at"].max())
    reference_at = last + timedelta(microseconds=1)
    earlier, _ = timed("features at a data end a week before", lambda: features_at(
        frames, reference_at))
    reference = reference_bins(earlier, CHURN_FEATURES)
    ages = [name for name in AGE_FEATURES if name not in ("tenure_days", "days_since_send")]
    shifted = now.with_columns(*(pl.col(name) + 120 for name in ages),
                               pl.col("monetary") / 2, pl.col("revenue_total") / 2)
    elapsed = (end - reference_at).total_seconds() / 86_400
    # The same customers that much older with nothing new: what a one-cohort store
    # (CDNOW) looks like at its next scoring.
    aged = earlier.with_columns(pl.col(name) + elapsed for name in AGE_FEATURES)
    for label, psi in (
            ("holdout reference, right after training (before)", before),
            ("data-end reference, right after training",
             population_stability(reference, earlier)),
            ("data-end reference, a week later, ages as they are",
             population_stability(reference, now)),
            ("data-end reference, a week later, age-aware",
             population_stability(reference, now, elapsed_days=elapsed)),
            ("ageing cohort a week later, ages as they are",
             population_stability(reference, aged)),
            ("ageing cohort a week later, age-aware",
             population_stability(reference, aged, elapsed_days=elapsed)),
            ("shifted population a week later, age-aware",
             population_stability(reference, shifted, elapsed_days=elapsed))):
        worst = sorted(psi.items(), key=lambda item: -item[1])[:4]
        print(f"  drift, {label}: warns on {', '.join(drifted(psi)) or 'nothing'}; highest "
              "PSI " + ", ".join(f"{n} {v:.3f}" for n, v in worst))


def bgnbd_fit(frames: dict[str, pl.DataFrame], cutoff: Any) -> None:
    """Time the BG/NBD and Gamma-Gamma fits on the order histories before ``cutoff``."""
    day_us = 86_400_000_000
    history = (frames["orders"].filter(pl.col("occurred_at") < cutoff)
               .group_by("customer_id").agg(
                   first=pl.col("occurred_at").min(), last=pl.col("occurred_at").max(),
                   orders=pl.len(), value=pl.col("amount").mean()))
    x = (history["orders"] - 1).cast(pl.Float64).to_numpy()
    t_x = ((history["last"] - history["first"]).dt.total_microseconds() / day_us).to_numpy()
    age = history.select((pl.lit(cutoff) - pl.col("first")).dt.total_microseconds()
                         / day_us).to_series().to_numpy()
    params, seconds = timed(f"BG/NBD fit ({x.size:,} customers)",
                            lambda: fit_bgnbd(x, t_x, age))
    print(f"  BG/NBD r={params.r:.4f} alpha={params.alpha:.4f} a={params.a:.4f} "
          f"b={params.b:.4f} converged={params.converged} in {params.iterations} "
          f"iterations ({seconds:.3f} s; lifetimes is not installed here, so no ratio)")
    repeat = x > 0
    spend, _ = timed("Gamma-Gamma fit", lambda: fit_gamma_gamma(
        x[repeat] + 1, history["value"].to_numpy()[repeat]))
    print(f"  Gamma-Gamma p={spend.p:.4f} q={spend.q:.4f} gamma={spend.gamma:.4f} "
          f"converged={spend.converged}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--population", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--send-time-only", action="store_true",
                        help="Only the send-time quality against the demo's truth.")
    parser.add_argument("--skip-read", action="store_true",
                        help="Skip timing the preference read on a SQLite event log.")
    args = parser.parse_args()

    print(f"demo: {args.customers:,} customers, 180 days")
    frames, _ = timed("generate and build inputs", lambda: feature_inputs(args.customers,
                                                                          args.seed))
    send_time_quality(frames)
    if args.send_time_only:
        return
    end = max(frames["orders"]["occurred_at"].max(), frames["messages"]["sent_at"].max())
    end = end + timedelta(microseconds=1)
    horizon = timedelta(days=HORIZON_DAYS)
    train, _ = timed("features, training window", lambda: labelled(frames, end - 2 * horizon))
    holdout, _ = timed("features, holdout window", lambda: labelled(frames, end - horizon))
    trained, train_s = timed("train churn (LightGBM + baseline)",
                             lambda: train_churn(train, holdout))
    print(f"  training: {train_s:.2f} s for {train.height:,} customers "
          f"(goal <= {TRAIN_GOAL_S:.0f} s: {'met' if train_s <= TRAIN_GOAL_S else 'MISSED'})")
    for name, metrics in (("LightGBM", trained.model_metrics),
                          ("baseline", trained.baseline_metrics)):
        print(f"  {name:<9} " + "  ".join(f"{k} {v:.4f}" for k, v in metrics.as_dict().items()))
    print(f"  served: {trained.reason}")
    latent_auc = churn_against_truth(frames, holdout, trained.model_metrics.auc, end - horizon)
    feature_families(frames, train, holdout, end, latent_auc)
    lifetime, ltv_s = timed("train lifetime value (BG/NBD + LightGBM)", lambda: train_lifetime(
        frames["orders"], train, holdout, train_cutoff=end - 2 * horizon,
        holdout_cutoff=end - horizon, horizon_days=HORIZON_DAYS))
    print(f"  lifetime value: {ltv_s:.2f} s (goal <= {TRAIN_GOAL_S:.0f} s: "
          f"{'met' if ltv_s <= TRAIN_GOAL_S else 'MISSED'})")
    for name, values in (("LightGBM", lifetime.model_metrics),
                         ("BG/NBD+GG", lifetime.baseline_metrics)):
        print(f"  {name:<9} " + "  ".join(f"{k} {v:.4f}" for k, v in values.as_dict().items()))
    print(f"  served: {lifetime.reason}")
    pairs, pairs_s = timed("engagement pairs (both windows)", lambda: tuple(
        engagement_pairs(frames["sends"], frames["campaigns"], window.drop("churned"),
                         start=start, end=start + horizon,
                         spend=category_spend(frames["items"], frames["products"],
                                              cutoff=start))
        for window, start in ((train, end - 2 * horizon), (holdout, end - horizon))))
    for target in ("open", "click"):
        engaged, seconds = timed(f"train {target} ({pairs[0].height:,} sends)",
                                 lambda t=target: train_engagement(*pairs, target=t))
        print(f"  {target}: {seconds:.2f} s (goal <= {TRAIN_GOAL_S:.0f} s: "
              f"{'met' if seconds <= TRAIN_GOAL_S else 'MISSED'}); AUC "
              f"{engaged.model_metrics.auc:.3f} vs the customer's own rate "
              f"{engaged.baseline_metrics.auc:.3f}; {engaged.served} served")
    engagement_families(pairs)

    model = ServedModel(trained.artifact)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        upgrade(url)
        engine = engine_for(url)
        from sqlmodel import Session

        with Session(engine) as session:
            version = ModelVersion(
                kind="churn", served=trained.served, reason=trained.reason, metrics="{}",
                calibration="{}", importance="{}", features=json.dumps({"names": FEATURES}),
                train_cutoff=end - 2 * horizon, holdout_cutoff=end - horizon, data_to=end,
                horizon_days=HORIZON_DAYS, train_rows=trained.train_rows,
                holdout_rows=trained.holdout_rows, artifact=trained.artifact, checksum="-")
            session.add(version)
            session.commit()
            version_id = version.id or 0
        _, history_s = timed("features now, history only", lambda: features_at(
            frames, end, preferences=False))
        features, features_s = timed("features now (all customers)",
                                     lambda: features_at(frames, end))
        print(f"  the preference features add {features_s - history_s:.2f} s of wall time "
              "to one cutoff's features")
        drift_check(frames, holdout, end, features)
        single, predict_s = timed("predict", lambda: scores_frame(model, features))
        run = open_run(engine, version_id, end, 1)
        _, write_s = timed("write (one transaction)", lambda: repo.write_score_shard(
            engine=engine, run_id=run, shard=0, scores=single))
        rate = features.height / (predict_s + write_s)
        verdict = "met" if rate >= SCORE_GOAL_PER_S else "MISSED"
        whole = features.height / (features_s + predict_s + write_s)
        print(f"  scoring incl. the database write: {rate:,.0f} customers/s "
              f"(goal >= {SCORE_GOAL_PER_S:,}/s: {verdict}); with feature building "
              f"{whole:,.0f}/s")

        # Read before the second run: publishing it drops the version's earlier runs.
        one_worker = repo.run_scores(engine=engine, run_id=run)
        two = open_run(engine, version_id, end, 2)
        shard = shard_of(features["customer_id"], 2)
        for number in range(2):
            part = features.filter(pl.Series(shard == number))
            repo.write_score_shard(engine=engine, run_id=two, shard=number,
                                   scores=scores_frame(model, part))
        two_workers = repo.run_scores(engine=engine, run_id=two)
        print(f"  two shards equal the single worker: {one_worker.equals(two_workers)} "
              f"({one_worker.height:,} and {two_workers.height:,} rows)")
        engine.dispose()

    bgnbd_fit(frames, end - horizon)
    rng = np.random.default_rng(args.seed)
    done = 0
    start = time.perf_counter()
    while done < args.population:
        size = min(CHUNK, args.population - done)
        sample = features.sample(size, with_replacement=True, seed=int(rng.integers(1 << 31)))
        scores_frame(model, sample.with_columns(
            customer_id=pl.format("g{}", pl.int_range(done, done + size))))
        done += size
    seconds = time.perf_counter() - start
    peak = peak_gb()
    print(f"  {args.population:,} generated customers scored in {seconds:.1f} s "
          f"({args.population / seconds:,.0f}/s); peak memory {peak:.2f} GB "
          f"(bound {MEMORY_GOAL_GB:.0f} GB: {'met' if peak < MEMORY_GOAL_GB else 'MISSED'})")
    # Last: writing the whole event log to a database raises the peak memory.
    if not args.skip_read:
        read_check(frames, end)


if __name__ == "__main__":
    main()
