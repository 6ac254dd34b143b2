"""Ingest throughput: events per second into SQLite at scale M, beside a naive loader.

Loads the demo world (scale M: 100k customers, 200 campaigns, 180 days, ~6M sends and
~10M events) through ``server.ingest.load_frame`` into a fresh SQLite file, timing each
kind; then loads a sample of events one ORM row at a time (the straightforward loader:
look the message up, add the event, update the message, flush) and prints both rates
and their ratio. Goals: >= 100,000 events/s and >= 25x the naive loader.

    python bench/ingest.py            # scale M
    python bench/ingest.py --scale S  # 20k customers, for a quick look
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import polars as pl
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server.db.engine import engine_for  # noqa: E402
from server.db.migrate import upgrade  # noqa: E402
from server.db.models import EmailEvent, Message  # noqa: E402
from server.demo import KINDS, generate  # noqa: E402
from server.ingest import load_frame  # noqa: E402

SCALES = {"S": {"customers": 20_000, "campaigns": 60, "days": 180},
          "M": {"customers": 100_000, "campaigns": 200, "days": 180}}
NAIVE_SAMPLE = 20_000
GOAL_RATE, GOAL_RATIO = 100_000, 25


def naive_load(engine, events: pl.DataFrame) -> None:
    """One ORM object per event, the message updated in Python, a flush per row."""
    with Session(engine) as session:
        for row in events.iter_rows(named=True):
            message = session.get(Message, row["message_id"])
            if message is None:
                continue
            session.add(EmailEvent(
                event_id=row["event_id"], type=row["type"], occurred_at=row["occurred_at"],
                message_id=row["message_id"], url=row["url"],
                user_agent=row["user_agent"], machine_open=bool(row["machine_open"]),
                bounce_type=row["bounce_type"]))
            at = row["occurred_at"]
            if row["type"] == "delivered" and (message.delivered_at is None
                                               or at < message.delivered_at):
                message.delivered_at = at
            elif row["type"] == "open":
                message.open_count += 1
                if message.first_open_at is None or at < message.first_open_at:
                    message.first_open_at = at
            elif row["type"] == "click":
                message.click_count += 1
                if message.first_click_at is None or at < message.first_click_at:
                    message.first_click_at = at
            session.add(message)
            session.flush()
        session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="M")
    arguments = parser.parse_args()
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"ingest-{arguments.scale}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = engine_for(url)

    started = time.perf_counter()
    data = generate(seed=7, **SCALES[arguments.scale])
    print(f"generated scale {arguments.scale} in {time.perf_counter() - started:.1f} s: "
          + ", ".join(f"{kind} {count:,}" for kind, count in data.counts().items()))
    total = 0.0
    rates = {}
    for kind in KINDS:
        frame = data.frames[kind]
        started = time.perf_counter()
        report = load_frame(kind, frame, engine=engine)
        seconds = time.perf_counter() - started
        total += seconds
        rates[kind] = frame.height / seconds
        assert report.inserted == frame.height, report
        print(f"  {kind:<12} {frame.height:>11,} rows {seconds:8.2f} s "
              f"{rates[kind]:>11,.0f} rows/s")
    print(f"whole demo load: {total:.1f} s")

    sample = data.frames["events"].head(NAIVE_SAMPLE).with_columns(
        ("naive-" + pl.col("event_id")).alias("event_id"))
    started = time.perf_counter()
    naive_load(engine, sample)
    naive_rate = sample.height / (time.perf_counter() - started)
    fast = rates["events"]
    print(f"events, set-based loader: {fast:,.0f} events/s (goal >= {GOAL_RATE:,})")
    print(f"events, naive ORM loader: {naive_rate:,.0f} events/s "
          f"({sample.height:,}-event sample)")
    print(f"ratio: {fast / naive_rate:.1f}x (goal >= {GOAL_RATIO}x)")


if __name__ == "__main__":
    main()
