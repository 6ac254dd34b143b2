"""Attribution at scale M: read the journeys from SQLite, then run all seven models.

Uses the scale-M demo database (100k customers, 200 campaigns, 180 days: ~1M
touchpoints, ~5.5M sends) at bench/out/scale-m.db, building it first when it is missing
(several minutes). Times reading touches and orders, building the journeys, all seven
models together (one shared path aggregation, the goal: <= 5 s) and each model on its
own; --campaign also times the models with journeys grouped by campaign.

    python bench/attribution.py
    python bench/attribution.py --campaign --kinds delivered,open,click
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analytics.attribution import MODEL_NAMES, attribute, build_journeys, compare_models  # noqa: E402
from server.db.engine import engine_for  # noqa: E402
from server.db.migrate import upgrade  # noqa: E402
from server.db.repository.journeys import read_conversions, read_touches  # noqa: E402
from server.demo import load_demo  # noqa: E402

DATABASE = ROOT / "bench" / "out" / "scale-m.db"
SCALE_M = {"customers": 100_000, "campaigns": 200, "days": 180}
GOAL_SECONDS = 5.0


def timed(label: str, work: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - start
    print(f"  {label:<28} {seconds:7.2f} s")
    return result, seconds


def build_database(path: Path) -> None:
    """Load the scale-M demo through ingestion into ``path`` (written aside, then moved,
    so an interrupted build never leaves a half-loaded file under the final name)."""
    loading = path.with_suffix(".loading.db")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{loading}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{loading}"
    upgrade(url)
    engine = engine_for(url)
    print(f"building {path} (scale M, several minutes)...")
    timed("load demo", lambda: load_demo(engine, **SCALE_M))
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    os.replace(loading, path)


def run(database: Path, *, lookback: float, kinds: tuple[str, ...], campaign: bool) -> bool:
    if not database.exists():
        build_database(database)
    engine = engine_for(f"sqlite:///{database.resolve()}")
    print(f"reading journeys from {database} (lookback {lookback:g} d, email {','.join(kinds)})")
    touches, read_s = timed("read touches", lambda: read_touches(
        engine=engine, start=None, end=None, email_kinds=kinds))
    orders, orders_s = timed("read orders", lambda: read_conversions(
        engine=engine, start=None, end=None))
    journeys, build_s = timed("build journeys", lambda: build_journeys(
        touches, orders, lookback_days=lookback, email_kinds=kinds))
    print(f"  {touches.height:,} touches, {orders.height:,} orders, {journeys.height:,} "
          f"journeys; reading total {read_s + orders_s + build_s:.2f} s")
    met = True
    for key in ("channel", "campaign") if campaign else ("channel",):
        print(f"models by {key}:")
        _, together = timed("all seven together", lambda key=key: compare_models(
            journeys, key=key))
        for model in MODEL_NAMES:
            timed(f"{model} alone", lambda model=model, key=key: attribute(
                journeys, model, key=key))
        if key == "channel":
            met = together <= GOAL_SECONDS
            print(f"  goal <= {GOAL_SECONDS:g} s for the seven models: "
                  f"{'met' if met else 'MISSED'} ({together:.2f} s)")
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", type=Path, default=DATABASE)
    parser.add_argument("--lookback", type=float, default=30.0)
    parser.add_argument("--kinds", default="open,click",
                        help="email touch kinds, comma-separated (delivered, open, click)")
    parser.add_argument("--campaign", action="store_true",
                        help="also time the models by campaign (Shapley samples: slow)")
    args = parser.parse_args()
    kinds = tuple(kind.strip() for kind in args.kinds.split(",") if kind.strip())
    met = run(args.database, lookback=args.lookback, kinds=kinds, campaign=args.campaign)
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
