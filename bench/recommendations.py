"""Product recommendations on the demo world: hit rate@k and recall@k on a time split
against popularity, and how long fitting and recommending take.

Generates the demo in memory (default 20,000 customers, 180 days; its baskets have
skewed popularity within each category, complements bought together and follow-up
purchases of complements, recorded in the truth under ``orders.baskets``), turns orders
into purchase lines and keeps product views and cart adds, fits on everything before
``--split-days`` before the end (default 30) and scores the new purchases after it.

    python bench/recommendations.py
    python bench/recommendations.py --customers 100000
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analytics.recommendations import evaluate, fit, order_items, recommend  # noqa: E402
from server.demo import generate  # noqa: E402
from server.demo.constants import END  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--split-days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    started = time.perf_counter()
    data = generate(customers=args.customers, days=180, seed=args.seed)
    frames = data.frames
    orders = frames["orders"].select("order_id", "customer_id", "occurred_at", "items")
    behaviour = (frames["behavior"].filter(pl.col("type").is_in(["product_view", "cart_add"]))
                 .select("customer_id", "product_id", kind="type", occurred_at="occurred_at"))
    interactions = pl.concat([order_items(orders), behaviour])
    products = frames["products"].select("product_id", "name", "category")
    print(f"demo: {args.customers:,} customers, 180 days, {products.height} products, "
          f"{interactions.height:,} interactions ({time.perf_counter() - started:.1f} s)")
    print(f"  baskets: {data.truth['orders']['baskets']}")

    split = END - timedelta(days=args.split_days)
    clock = time.perf_counter()
    result = evaluate(interactions, products, split=split, horizon_days=args.split_days)
    print(f"split {split.date()} (+{args.split_days} days): {result.customers:,} customers "
          f"bought something new; {result.train_interactions:,} interactions before "
          f"({time.perf_counter() - clock:.1f} s to fit and score both methods)")
    print(f"{'':<13}" + "".join(f"{f'hit@{k}':>9}{f'recall@{k}':>11}" for k in result.ks))
    for scores in (result.recommender, result.popularity):
        print(f"{scores.method:<13}" + "".join(
            f"{h:>9.4f}{r:>11.4f}" for h, r in zip(scores.hit_rate, scores.recall,
                                                   strict=True)))
    print("ratio        " + "".join(
        f"{a / b:>8.2f}x{c / d:>10.2f}x" for a, b, c, d in zip(
            result.recommender.hit_rate, result.popularity.hit_rate,
            result.recommender.recall, result.popularity.recall, strict=True)))
    beats = all(a > b for a, b in zip(result.recommender.hit_rate + result.recommender.recall,
                                      result.popularity.hit_rate + result.popularity.recall,
                                      strict=True))
    print(f"recommender beats popularity on every figure: {'yes' if beats else 'NO'}")

    clock = time.perf_counter()
    model = fit(interactions, products, as_of=END)
    fitted = time.perf_counter() - clock
    customers = frames["customers"]["customer_id"].to_list()
    clock = time.perf_counter()
    lists = recommend(model, customers, limit=10)
    print(f"fit on all data {fitted:.2f} s; 10 recommendations for all {len(customers):,} "
          f"customers {time.perf_counter() - clock:.2f} s; reasons "
          f"{dict(lists['source'].value_counts().sort('source').iter_rows())}")
    clock = time.perf_counter()
    recommend(model, customers[:1], limit=10)
    print(f"one customer: {1000 * (time.perf_counter() - clock):.0f} ms")


if __name__ == "__main__":
    main()
