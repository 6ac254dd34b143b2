"""Dashboard query latency at scale M, beside the straightforward approach.

Scale M is ``server.demo.load_demo(customers=100_000, campaigns=200, days=180)`` (about
5.5M sends, 9.7M events) in ``bench/out/dashboard-M.db``, loaded once and reused. Four
segments (10-40% of customers) are added so segment breakdowns have data, and the
breakdown rollups are brought up to date (what the ``refresh_report_rollups`` job does).

Then the dashboard page's own GraphQL query, for the page's default period (the 90
days up to the last send, weekly), runs 50 times warm: p50 and p95 (goal p95 <= 100 ms).
Beside it, the straightforward approach: on every request read the period's sends, raw
events, customers and attributed orders with pandas and recompute the same figures
(summary, weekly trend, providers, campaign ranking). Goal: at least 20x slower.

    python bench/dashboard.py             # scale M (loads it on the first run: ~10 min)
    python bench/dashboard.py --scale S   # 20k customers, for a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.naive_dashboard import naive_dashboard  # noqa: E402
from server.auth import Principal  # noqa: E402
from server.db.engine import engine_for, session_scope  # noqa: E402
from server.db.migrate import upgrade  # noqa: E402
from server.db.models import Segment, SegmentMember  # noqa: E402
from server.settings import configure  # noqa: E402

SCALES = {"S": {"customers": 20_000, "campaigns": 60, "days": 180},
          "M": {"customers": 100_000, "campaigns": 200, "days": 180}}
RUNS, NAIVE_RUNS = 50, 3
GOAL_P95_MS, GOAL_RATIO = 100, 20
SEGMENTS = {"seg-10": 10, "seg-20": 20, "seg-30": 30, "seg-40": 40}  # percent of customers


def prepare(scale: str) -> str:
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"dashboard-{scale}.db"
    url = f"sqlite:///{path}"
    if not path.exists():
        from server.demo import load_demo

        loading = out / f"dashboard-{scale}.loading.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{loading}{suffix}").unlink(missing_ok=True)
        upgrade(f"sqlite:///{loading}")
        engine = engine_for(f"sqlite:///{loading}")
        started = time.perf_counter()
        load_demo(engine, seed=7, **SCALES[scale])
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        loading.rename(path)
        print(f"loaded scale {scale} in {time.perf_counter() - started:.0f} s")
    upgrade(url)
    configure(database_url=url, secret_key="bench-" + "x" * 40, broker_url=None)
    engine = engine_for(url)
    _add_segments(engine)
    _refresh_breakdowns(engine)
    return url


def _add_segments(engine) -> None:
    with engine.connect() as connection:
        if connection.exec_driver_sql("SELECT COUNT(*) FROM segment").scalar():
            return
        customers = [row[0] for row in connection.exec_driver_sql(
            "SELECT customer_id FROM customer ORDER BY customer_id")]
    with session_scope(engine) as session:
        for segment_id, percent in SEGMENTS.items():
            session.add(Segment(segment_id=segment_id, name=f"Top {percent}%"))
        session.flush()
        for number, (segment_id, percent) in enumerate(SEGMENTS.items()):
            step = 100 / percent
            session.add_all(SegmentMember(segment_id=segment_id, customer_id=customer)
                            for index, customer in enumerate(customers)
                            if int((index + number) % step) == 0)
    print(f"added {len(SEGMENTS)} segments")


def _refresh_breakdowns(engine) -> None:
    from server.db.repository import report_rollups as derived
    from server.db.repository.reports import rollup_frame

    started = time.perf_counter()
    fingerprints = derived.campaign_fingerprints(rollup_frame(engine=engine))
    with engine.connect() as connection:
        stale = derived.staleness(fingerprints, derived.report_states(connection),
                                  derived.segment_stamp(connection))
    for start in range(0, len(stale.stale), 5):
        with engine.begin() as connection:
            derived.refresh_report_rollups(connection, stale.stale[start:start + 5],
                                           fingerprints, derived.segment_stamp(connection))
    if stale.stale:
        print(f"refreshed breakdown rollups of {len(stale.stale)} campaigns in "
              f"{time.perf_counter() - started:.0f} s (the refresh_report_rollups job)")


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def measure(url: str) -> tuple[list[float], list[float], dict]:
    from schema.operations import execute
    from server.runners.base import MEMO
    from server.web.dashboard import DASHBOARD_QUERY, RANGE_QUERY

    engine = engine_for(url)
    user = Principal(key_id=None, name="bench", role="admin")
    days = (await execute(RANGE_QUERY, user=user, engine=engine)).data["dashboard"]["sendDays"]
    last = date.fromisoformat(days["last"])
    variables = {"from": (last - timedelta(days=89)).isoformat(), "to": last.isoformat(),
                 "granularity": "WEEK", "types": None, "segments": None}

    shown: dict = {}

    async def once() -> float:
        started = time.perf_counter()
        result = await execute(DASHBOARD_QUERY, variables, user=user, engine=engine)
        elapsed = time.perf_counter() - started
        assert result.errors is None, result.errors
        shown.update(result.data["dashboard"]["summary"]["counters"])
        return elapsed

    await once()  # warm: connections, imports, the report of this data version
    warm = [await once() for _ in range(RUNS)]
    cold = []
    for _ in range(10):
        MEMO.clear()  # what a request pays right after new events: compute, no reuse
        cold.append(await once())
    return warm, cold, {**variables, "shown": shown}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="M")
    arguments = parser.parse_args()
    url = prepare(arguments.scale)
    warm, cold, variables = asyncio.run(measure(url))
    p50, p95 = statistics.median(warm) * 1000, _percentile(warm, 0.95) * 1000
    print(f"scale {arguments.scale}, period {variables['from']}..{variables['to']} weekly")
    print(f"dashboard query, warm ({RUNS} runs): p50 {p50:.1f} ms, p95 {p95:.1f} ms "
          f"(goal p95 <= {GOAL_P95_MS} ms)")
    print(f"dashboard query, report recomputed after a data change (10 runs): "
          f"p50 {statistics.median(cold) * 1000:.1f} ms, "
          f"p95 {_percentile(cold, 0.95) * 1000:.1f} ms")
    naive = []
    for _ in range(NAIVE_RUNS):
        started = time.perf_counter()
        figures = naive_dashboard(url, date.fromisoformat(variables["from"]),
                                  date.fromisoformat(variables["to"]))
        naive.append(time.perf_counter() - started)
    naive_ms = statistics.median(naive) * 1000
    print(f"straightforward (pandas over raw events, {NAIVE_RUNS} runs): "
          f"p50 {naive_ms:.0f} ms ({figures['events']:,} events, {figures['sent']:,} sends)")
    print(f"ratio: {naive_ms / p50:.0f}x at p50, {naive_ms / p95:.0f}x at p95 "
          f"(goal >= {GOAL_RATIO}x)")
    summary = figures["summary"].iloc[0]
    print("same figures: sent {} vs {}, delivered {} vs {}, conversions {} vs {}".format(
        variables["shown"]["sent"], int(summary["sent"]), variables["shown"]["delivered"],
        int(summary["delivered"]), variables["shown"]["conversions"],
        int(summary["conversions"])))


if __name__ == "__main__":
    main()
