"""Ingest throughput: events per second into SQLite and PostgreSQL at scale M, beside a
naive loader, and the whole demo's time.

Loads the demo world (scale M: 100k customers, 200 campaigns, 180 days, ~5.5M sends and
~9.7M events) through ``server.ingest.load_frame`` into a fresh SQLite file, timing each
kind; then loads a sample of events one ORM row at a time (the straightforward loader:
look the message up, add the event, update the message, flush) and prints both rates
and their ratio. With ``--postgres URL`` it loads the same world the same way into that
PostgreSQL database (its public schema is dropped and migrated afresh), where staging
goes through ``COPY``. Goals: >= 100,000 events/s and >= 25x the naive loader.

``--demo`` times ``load_demo`` (what ``mailscope demo`` runs) into a fresh SQLite file
instead, split into generation and each kind's import. Goal at scale M: < 180 s.

Every phase prints its wall time and this process's CPU time (the staging child's CPU
is counted separately), so a run on a busy machine can be told from a slow one.

    python bench/ingest.py                       # scale M, SQLite
    python bench/ingest.py --scale S             # 20k customers, for a quick look
    python bench/ingest.py --postgres postgresql://mailscope:mailscope@127.0.0.1:5433/bench
    python bench/ingest.py --demo                # the whole demo at scale M
    python bench/ingest.py --keep-indexes        # without the index rebuild, to compare
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Engine, text
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCALES = {"S": {"customers": 20_000, "campaigns": 60, "days": 180},
          "M": {"customers": 100_000, "campaigns": 200, "days": 180}}
NAIVE_SAMPLE = 20_000
GOAL_RATE, GOAL_RATIO, GOAL_DEMO_SECONDS = 100_000, 25, 180


class Clock:
    """Wall and CPU seconds of one phase: this process, and its finished children."""

    def __init__(self) -> None:
        self.wall = self.cpu = self.child_cpu = 0.0

    def __str__(self) -> str:
        child = f" + child {self.child_cpu:.1f} s" if self.child_cpu >= 0.05 else ""
        return f"{self.wall:7.2f} s wall, CPU {self.cpu:6.1f} s{child}"


def _cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime)


@contextmanager
def timed() -> Iterator[Clock]:
    clock = Clock()
    wall, (cpu, child) = time.perf_counter(), _cpu()
    try:
        yield clock
    finally:
        clock.wall = time.perf_counter() - wall
        now, now_child = _cpu()
        clock.cpu, clock.child_cpu = now - cpu, now_child - child


def load_line() -> str:
    one, five, _ = os.getloadavg()
    return f"machine load {one:.1f} (5 min {five:.1f}) on {os.cpu_count()} cores"


def fresh_sqlite(name: str) -> str:
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def fresh_postgres(url: str) -> None:
    from server.db.engine import engine_for

    engine = engine_for(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def use_database(url: str) -> Engine:
    """A migrated database at ``url``, also the settings' database (the refresh job an
    import queues is recorded in it)."""
    os.environ["MAILSCOPE_DATABASE_URL"] = url
    from server.db.engine import engine_for
    from server.db.migrate import upgrade
    from server.settings import configure

    configure(database_url=url)
    upgrade(url)
    return engine_for(url)


def naive_load(engine: Engine, events: pl.DataFrame) -> None:
    """One ORM object per event, the message updated in Python, a flush per row."""
    from server.db.models import EmailEvent, Message

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


def load_kinds(engine: Engine, frames: dict[str, pl.DataFrame]) -> dict[str, float]:
    """Every kind through ``load_frame``, in order; rows per second by kind."""
    from server.demo import KINDS
    from server.ingest import load_frame

    rates = {}
    total = 0.0
    for kind in KINDS:
        frame = frames[kind]
        with timed() as clock:
            report = load_frame(kind, frame, engine=engine)
        assert report.inserted == frame.height, report
        total += clock.wall
        rates[kind] = frame.height / clock.wall
        print(f"  {kind:<12} {frame.height:>11,} rows {clock} {rates[kind]:>11,.0f} rows/s",
              flush=True)
    print(f"whole demo load: {total:.1f} s wall", flush=True)
    return rates


def measure(label: str, engine: Engine, frames: dict[str, pl.DataFrame],
            sample_size: int) -> tuple[float, float]:
    """Load the world, then the naive sample; the events rate and the naive rate."""
    print(f"{label}: {load_line()}", flush=True)
    fast = load_kinds(engine, frames)["events"]
    sample = frames["events"].head(sample_size).with_columns(
        ("naive-" + pl.col("event_id")).alias("event_id"))
    with timed() as clock:
        naive_load(engine, sample)
    naive = sample.height / clock.wall
    print(f"{label} events, set-based loader: {fast:,.0f} events/s "
          f"({fast / GOAL_RATE:.2f} of the goal {GOAL_RATE:,})")
    print(f"{label} events, naive ORM loader: {naive:,.0f} events/s "
          f"({sample.height:,}-event sample, {clock})")
    print(f"{label} ratio: {fast / naive:.1f}x (goal >= {GOAL_RATIO}x); {load_line()}",
          flush=True)
    return fast, naive


def time_demo(scale: str) -> None:
    """``load_demo`` into a fresh SQLite file, with generation and every kind timed."""
    import server.demo.load as demo_load

    engine = use_database(fresh_sqlite(f"demo-{scale}.db"))
    phases: list[tuple[str, Clock]] = []

    def phase(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            label = name if name != "load" else args[0]
            with timed() as clock:
                result = function(*args, **kwargs)
            phases.append((label, clock))
            return result
        return run

    demo_load.generate = phase("generate", demo_load.generate)
    demo_load.load_frame = phase("load", demo_load.load_frame)
    print(f"demo at scale {scale}: {load_line()}", flush=True)
    with timed() as whole:
        demo_load.load_demo(engine, **SCALES[scale], seed=7)
    for name, clock in phases:
        print(f"  {name:<12} {clock}")
    print(f"whole demo: {whole} (goal < {GOAL_DEMO_SECONDS} s: "
          f"{whole.wall / GOAL_DEMO_SECONDS:.2f} of it); {load_line()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="M")
    parser.add_argument("--postgres", metavar="URL",
                        help="also load into this PostgreSQL database (its public schema "
                             "is dropped first: give a database of its own)")
    parser.add_argument("--no-sqlite", action="store_true",
                        help="skip the SQLite load (with --postgres)")
    parser.add_argument("--naive-sample", type=int, default=NAIVE_SAMPLE,
                        help="events loaded by the naive loader")
    parser.add_argument("--demo", action="store_true",
                        help="time the whole demo (generation and every import) instead")
    parser.add_argument("--keep-indexes", action="store_true",
                        help="insert with every index in place (no drop and rebuild "
                             "around large inserts), to compare the two")
    arguments = parser.parse_args()
    if arguments.keep_indexes:
        from server.db.repository import bulk

        bulk.REBUILD_MIN_ROWS = 2**62
    if arguments.demo:
        time_demo(arguments.scale)
        return

    from server.demo import generate

    with timed() as clock:
        data = generate(seed=7, **SCALES[arguments.scale])
    print(f"generated scale {arguments.scale} ({clock}): "
          + ", ".join(f"{kind} {count:,}" for kind, count in data.counts().items()),
          flush=True)
    results = {}
    if not arguments.no_sqlite:
        engine = use_database(fresh_sqlite(f"ingest-{arguments.scale}.db"))
        results["SQLite"] = measure("SQLite", engine, data.frames, arguments.naive_sample)
    if arguments.postgres:
        fresh_postgres(arguments.postgres)
        engine = use_database(arguments.postgres)
        results["PostgreSQL"] = measure("PostgreSQL (COPY)", engine, data.frames,
                                        arguments.naive_sample)
        engine.dispose()
    print("summary:")
    for label, (fast, naive) in results.items():
        print(f"  {label:<10} {fast:>9,.0f} events/s: {fast / GOAL_RATE:.2f} of the goal, "
              f"{fast / naive:.1f}x the naive loader ({naive:,.0f}/s)")


if __name__ == "__main__":
    main()
