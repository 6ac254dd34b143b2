"""Variant selection on the demo world, scored against its ground truth.

Generates the demo in memory (default 20,000 customers, 180 days) and, for every A/B
campaign, re-sends it to every customer twice in simulation: once choosing variants with
our policy (``analytics.personalisation.variants``: fallback predictions from each
customer's own opens before the campaign, Thompson exploration, ε floor, minimum sample),
in batches of ``--batch`` customers whose observed opens update the posterior for the
next batch; once choosing uniformly. Opens are drawn from the demo's true open model
(``truth["email"]["open_model"]``: intercept, campaign type, subject features, the arm's
lift, the customer's engagement, local hour and weekday).

Printed per campaign and pooled: the true open rate of our policy and of uniform (the
expected value over customers of the true P(open) of the chosen / a uniform variant),
and, from our policy's logs only, the IPS and SNIPS estimates of uniform's open rate with
95 % intervals and whether they cover uniform's true rate; the same for the
always-best-predicted policy.

    python bench/variants.py
    python bench/variants.py --customers 5000 --batch 500
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analytics.personalisation.off_policy import Estimate, ips, snips  # noqa: E402
from analytics.personalisation.variants import (  # noqa: E402
    ArmEvidence,
    fallback_predictions,
    select_variants,
)
from analytics.predictions.subject_lines import (  # noqa: E402
    fallback_open_rates,
    subject_features,
)
from server.demo import generate  # noqa: E402
from server.demo.engagement import WEEKDAY_EFFECT, hour_open_effect  # noqa: E402


def human_history(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """customer_id, sent_at and whether a person opened (or clicked), per send."""
    events = frames["events"]
    engaged = (events.filter(((pl.col("type") == "open") & ~pl.col("machine_open"))
                             | (pl.col("type") == "click"))
               .select("message_id").unique().with_columns(opened=pl.lit(True)))
    return (frames["messages"].select("message_id", "customer_id", "sent_at")
            .join(engaged, on="message_id", how="left")
            .with_columns(pl.col("opened").fill_null(False)))


def true_rates(truth: dict[str, Any], people: pl.DataFrame, campaign: dict[str, Any],
               variants: list[str], send_at: Any) -> np.ndarray:
    """The demo's true P(open) of every customer (rows) for every variant (columns)."""
    model = truth["email"]["open_model"]
    utc_hour = send_at.hour
    local = (utc_hour + people["utc_offset_hours"].to_numpy()) % 24
    base = (model["intercept"] + model["type_effect"][campaign["type"]]
            + people["engagement_logit"].to_numpy()
            + WEEKDAY_EFFECT[send_at.weekday()]
            + hour_open_effect(local, people["preferred_hour"].to_numpy()))
    arms = []
    for name in variants:
        arm = campaign["variants"][name]
        subject = sum(model["subject_effects"][k] for k, on in arm["subject_features"].items()
                      if on)
        arms.append(base + subject + arm["open_logit_lift"])
    return np.asarray(1 / (1 + np.exp(-np.column_stack(arms))))


def simulate(p_true: np.ndarray, predicted: np.ndarray, variants: list[str], batch: int,
             rng: np.random.Generator) -> dict[str, np.ndarray]:
    n, k = p_true.shape
    order = rng.permutation(n)
    sends, opens = np.zeros(k), np.zeros(k)
    logs: dict[str, list[np.ndarray]] = {"chosen": [], "propensity": [], "reward": [],
                                         "best": [], "customer": []}
    for start in range(0, n, batch):
        who = order[start:start + batch]
        evidence = [ArmEvidence(v, int(sends[j]), int(opens[j])) for j, v in enumerate(variants)]
        selection = select_variants(predicted[who], evidence, rng.random(len(who)), draws=500,
                                    seed=int(rng.integers(1 << 31)))
        chosen = selection.chosen
        reward = rng.random(len(who)) < p_true[who, chosen]
        np.add.at(sends, chosen, 1)
        np.add.at(opens, chosen, reward)
        logs["chosen"].append(chosen)
        logs["propensity"].append(selection.propensities[np.arange(len(who)), chosen])
        logs["reward"].append(reward.astype(np.float64))
        logs["best"].append(selection.best)
        logs["customer"].append(who)
    return {name: np.concatenate(parts) for name, parts in logs.items()}


def covers(estimate: Estimate | None, truth: float) -> str:
    if estimate is None:
        return "n/a"
    hit = estimate.lower <= truth <= estimate.upper
    return (f"{estimate.value:.4f} [{estimate.lower:.4f}, {estimate.upper:.4f}] "
            f"{'covers' if hit else 'MISSES'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    started = time.perf_counter()
    data = generate(customers=args.customers, days=180, seed=args.seed)
    print(f"demo: {args.customers:,} customers, 180 days ({time.perf_counter() - started:.1f} s)")
    truth, people = data.truth, data.customers_truth
    history = human_history(data.frames)
    campaigns = data.frames["campaigns"]
    rng = np.random.default_rng(args.seed)
    pooled: dict[str, list[np.ndarray]] = {key: [] for key in (
        "ours", "uniform", "oracle", "best", "propensity", "reward", "target_uniform",
        "target_best")}
    covered = {"ips": 0, "snips": 0}
    count = 0
    print(f"{'campaign':<9}{'arms':>5}{'ours':>9}{'uniform':>9}{'oracle':>9}   "
          "IPS estimate of uniform (95%)")
    for row in campaigns.iter_rows(named=True):
        campaign = truth["campaigns"][row["campaign_id"]]
        if not campaign["ab_test"]:
            continue
        variants = sorted(campaign["variants"])
        send_at = row["send_at"]
        p_true = true_rates(truth, people, campaign, variants, send_at)
        before = history.filter(pl.col("sent_at") < send_at).group_by("customer_id").agg(
            sends=pl.len(), opens=pl.col("opened").sum())
        counts = people.select("customer_id").join(before, on="customer_id", how="left") \
            .fill_null(0)
        table = subject_features([campaign["variants"][v]["subject_line"] for v in variants],
                                 send_hour=send_at.hour, send_weekday=send_at.isoweekday(),
                                 hours_since_previous=None)
        predicted = fallback_predictions(counts["opens"].to_numpy().astype(float),
                                         counts["sends"].to_numpy().astype(float),
                                         fallback_open_rates(table, 0.5))
        logs = simulate(p_true, predicted, variants, args.batch, rng)
        who = logs["customer"]
        ours = p_true[who, logs["chosen"]]
        uniform = p_true.mean(axis=1)[who]
        best_truth = p_true[who, logs["best"]]
        target_uniform = np.full(len(who), 1 / len(variants))
        target_best = (logs["chosen"] == logs["best"]).astype(np.float64)
        estimate = ips(logs["propensity"], target_uniform, logs["reward"], target="uniform")
        self_normalised = snips(logs["propensity"], target_uniform, logs["reward"])
        for name, value in (("ips", estimate), ("snips", self_normalised)):
            covered[name] += int(value is not None
                                 and value.lower <= uniform.mean() <= value.upper)
        count += 1
        print(f"{row['campaign_id']:<9}{len(variants):>5}{ours.mean():>9.4f}"
              f"{uniform.mean():>9.4f}{p_true.max(axis=1).mean():>9.4f}   "
              f"{covers(estimate, float(uniform.mean()))}")
        for key, value in (("ours", ours), ("uniform", uniform),
                           ("oracle", p_true.max(axis=1)[who]), ("best", best_truth),
                           ("propensity", logs["propensity"]), ("reward", logs["reward"]),
                           ("target_uniform", target_uniform), ("target_best", target_best)):
            pooled[key].append(value)
    flat = {key: np.concatenate(parts) for key, parts in pooled.items()}
    true_ours, true_uniform = flat["ours"].mean(), flat["uniform"].mean()
    print(f"\npooled over {count} A/B campaigns, {flat['ours'].size:,} simulated sends:")
    print(f"  true open rate, our policy: {true_ours:.4f}; uniform: {true_uniform:.4f} "
          f"(ratio {true_ours / true_uniform:.3f}, {true_ours - true_uniform:+.4f}); each "
          f"customer's truly best variant (oracle): {flat['oracle'].mean():.4f}")
    print(f"  observed open rate of our policy's sends: {flat['reward'].mean():.4f}")
    for name, method in (("IPS", ips), ("SNIPS", snips)):
        value = method(flat["propensity"], flat["target_uniform"], flat["reward"])
        print(f"  {name:<5} estimate of uniform: {covers(value, float(true_uniform))} "
              f"(truth {true_uniform:.4f})")
        best = method(flat["propensity"], flat["target_best"], flat["reward"])
        print(f"  {name:<5} estimate of always-best-predicted: "
              f"{covers(best, float(flat['best'].mean()))} (truth {flat['best'].mean():.4f})")
    print(f"  per-campaign 95% intervals covering uniform's truth: IPS {covered['ips']}/{count}, "
          f"SNIPS {covered['snips']}/{count}")
    print(f"total {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
