"""Load: 100 GraphQL clients against 2 replicas and 2 workers, then the same while 1M
events are imported.

Starts its own PostgreSQL (initdb into a temporary folder) and Redis on loopback, loads
the demo through ``mailscope db upgrade`` and ``mailscope demo``, creates one viewer key
per client, starts ``mailscope serve`` twice and ``mailscope worker`` twice (the
distributed mode: PostgreSQL plus a Redis broker), and runs three phases:

1. steady: ``--clients`` closed-loop clients for ``--seconds`` s, split over the replicas,
   each asking for the dashboard, a page of the campaign list, a customer profile or the
   segment list (weights in ``MIX``);
2. ingest: the same clients while ``mailscope import events`` stores ``--events`` new
   events (referring to existing sends); the phase lasts as long as the import, and at
   least ``--seconds`` s. Afterwards the ledger and the sends' open and click counts
   must have grown by exactly what the file holds;
3. shared key: the clients share one key for ``--shared-seconds`` s under the default
   rate limit (20/s, burst 100), to show how many requests it refuses with 429.

It prints requests/s, p50/p95/p99 per query kind, errors by kind, peak RSS and CPU of
each replica and worker, PostgreSQL's connection count and the import's events/s, with
p99 during the import against p99 without. Every process it starts runs in its own
process group and is stopped at the end.

    python bench/load.py               # scale S (20k customers), 100 clients, 60 s, 1M events
    python bench/load.py --scale M     # 100k customers, 200 campaigns
    python bench/load.py --scale XS --clients 10 --seconds 3 --events 2000   # a smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness.clients import Tally, Workload, drive, percentile  # noqa: E402
from bench.harness.processes import (  # noqa: E402
    Deployment,
    OwnPostgres,
    OwnRedis,
    Sampler,
    run_cli,
)

SCALES = {"XS": {"customers": 200, "campaigns": 4, "days": 14},
          "S": {"customers": 20_000, "campaigns": 60, "days": 180},
          "M": {"customers": 100_000, "campaigns": 200, "days": 180}}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- data: demo, keys, events ----------------------------------------------------------


def prepare(database_url: str, scale: str, *, env: dict[str, str], folder: Path) -> float:
    """``mailscope db upgrade`` and ``mailscope demo`` at ``scale``; returns seconds."""
    started = time.perf_counter()
    run_cli(["db", "upgrade"], env=env, folder=folder)
    sizes = SCALES[scale]
    run_cli(["demo", "--customers", str(sizes["customers"]), "--campaigns",
             str(sizes["campaigns"]), "--days", str(sizes["days"])], env=env, folder=folder)
    return time.perf_counter() - started


def create_keys(database_url: str, count: int, role: str = "viewer") -> list[str]:
    from server.auth import create_api_key
    from server.db.engine import engine_for, session_scope

    keys = []
    with session_scope(engine_for(database_url)) as session:
        for number in range(count):
            _, raw = create_api_key(session=session, name=f"load client {number + 1}",
                                    role=role)
            keys.append(raw)
    return keys


def workload_for(database_url: str, customers: int = 2_000, seed: int = 7) -> Workload:
    from sqlalchemy import text

    from server.db.engine import engine_for

    with engine_for(database_url).connect() as connection:
        ids = [row[0] for row in connection.execute(text(
            "SELECT customer_id FROM customer ORDER BY customer_id"))]
        last = connection.execute(text("SELECT max(sent_at) FROM message")).scalar_one()
    chosen = random.Random(seed).sample(ids, min(customers, len(ids)))  # noqa: S311
    last_day: date = last.astimezone(UTC).date()
    # What the dashboard page asks for by default: the last 90 days of sends, weekly.
    variables = {"from": (last_day - timedelta(days=89)).isoformat(),
                 "to": last_day.isoformat(), "granularity": "WEEK", "types": None,
                 "segments": None}
    return Workload(customer_ids=chosen, dashboard_variables=variables)


def write_events(database_url: str, count: int, path: Path, *, tag: str,
                 seed: int = 7) -> dict[str, int]:
    """``count`` new open and click events of existing sends (drawn with replacement),
    1 minute to 3 days after each send, as a CSV in the import format."""
    import numpy as np

    from server.db.engine import engine_for
    from server.db.models import Message

    with engine_for(database_url).connect() as connection:
        sends = pl.read_database(f"SELECT message_id, sent_at FROM {Message.__tablename__}",  # noqa: S608
                                 connection)  # Safe SQL (S608): a table name from the model
    generator = np.random.default_rng(seed)
    picks = generator.integers(0, sends.height, count)
    kinds = np.where(generator.random(count) < 0.7, "open", "click")
    delays = generator.integers(60, 3 * 86_400, count)
    frame = (sends[picks]
             .with_columns(pl.Series("type", kinds), pl.Series("delay", delays))
             .with_row_index("number")
             .select(event_id=pl.format("load-{}-{}", pl.lit(tag), pl.col("number")),
                     type=pl.col("type"),
                     occurred_at=(pl.col("sent_at").dt.convert_time_zone("UTC")
                                  + pl.duration(seconds=pl.col("delay")))
                     .dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
                     message_id=pl.col("message_id")))
    frame.write_csv(path)
    opens = int((frame["type"] == "open").sum())
    return {"events": count, "opens": opens, "clicks": count - opens}


def counts(database_url: str) -> dict[str, int]:
    """Ledger rows and the sends' open and click counts."""
    from sqlalchemy import text

    from server.db.engine import engine_for
    from server.db.models import EmailEvent, Message

    with engine_for(database_url).connect() as connection:
        events = connection.execute(text(
            f"SELECT count(*) FROM {EmailEvent.__tablename__}")).scalar_one()  # noqa: S608
        opens, clicks = connection.execute(text(  # Safe SQL (S608): table names from models
            f"SELECT sum(open_count), sum(click_count) FROM {Message.__tablename__}")).one()  # noqa: S608
    return {"events": int(events), "opens": int(opens or 0), "clicks": int(clicks or 0)}


def import_events(path: Path, *, env: dict[str, str], folder: Path) -> tuple[float, str]:
    started = time.perf_counter()
    output = run_cli(["import", "events", str(path)], env=env, folder=folder)
    return time.perf_counter() - started, output.strip()


# --- report ----------------------------------------------------------------------------


def describe(name: str, tally: Tally) -> list[str]:
    lines = [f"{name}: {tally.requests:,} requests in {tally.wall:.1f} s = "
             f"{tally.requests / tally.wall:,.1f}/s; server errors {tally.server_errors()}, "
             f"429s {sum(tally.rate_limited.values())}; client CPU {tally.client_cpu:.1f} s; "
             f"load average {tally.load[0]:.1f} -> {tally.load[1]:.1f}"]
    everything = [value for values in tally.latencies.values() for value in values]
    for kind, values in [*sorted(tally.latencies.items()), ("all", everything)]:
        if values:
            shown = "  ".join(f"p{round(share * 100)} {percentile(values, share) * 1e3:7.1f} ms"
                              for share in (0.5, 0.95, 0.99))
            lines.append(f"  {kind:<10} n={len(values):>6,}  {shown}")
    lines += [f"  error {count:>6}  {kind}" for kind, count in tally.errors.most_common()]
    lines += [f"  429   {count:>6}  {kind}" for kind, count in tally.rate_limited.most_common()]
    return lines


def p99(tally: Tally) -> float:
    return percentile([value for values in tally.latencies.values() for value in values], 0.99)


@dataclass
class Result:
    steady: Tally
    ingest: Tally
    shared: Tally | None
    before: dict[str, int]
    after: dict[str, int]
    imported: dict[str, int]
    import_seconds: float
    import_output: str
    sampler: Sampler
    prepare_seconds: float

    @property
    def counts_exact(self) -> bool:
        return all(self.after[key] - self.before[key] == self.imported[key]
                   for key in ("events", "opens", "clicks"))


def run(*, scale: str, clients: int, seconds: float, events: int, shared_seconds: float,
        replicas: int = 2, workers: int = 2, pg_port: int = 0, redis_port: int = 0,
        app_port: int = 0) -> Result:
    """Everything, from initdb to the last count; every started process is stopped."""
    folder = Path(tempfile.mkdtemp(prefix="mailscope-load-"))
    postgres = OwnPostgres(pg_port)
    redis: OwnRedis | None = None
    deployment: Deployment | None = None
    succeeded = False
    try:
        postgres.start()
        redis = OwnRedis(redis_port, folder)
        database_url = postgres.url
        deployment = Deployment(database_url, redis.url, folder, replicas, workers, app_port)
        log(f"PostgreSQL :{postgres.port}, Redis :{redis.port}; loading the demo "
            f"(scale {scale}: {SCALES[scale]})")
        prepare_seconds = prepare(database_url, scale, env=deployment.env, folder=folder)
        log(f"demo loaded in {prepare_seconds:.1f} s")
        keys = create_keys(database_url, clients)
        shared_key = create_keys(database_url, 1)
        workload = workload_for(database_url)
        tag = f"{int(time.time())}"
        imported = write_events(database_url, events, folder / "events.csv", tag=tag)
        log(f"wrote {events:,} events ({imported['opens']:,} opens); starting "
            f"{replicas} replicas and {workers} workers")
        deployment.start()
        log(f"replicas on {', '.join(deployment.urls)}")
        # One of each request per replica first, so start-up work is not measured.
        asyncio.run(drive(deployment.urls, keys, workload, clients=len(deployment.urls),
                          seconds=min(3.0, seconds)))
        with Sampler(deployment.procs, database_url) as sampler:
            log(f"steady phase: {clients} clients, {seconds:.0f} s")
            steady = asyncio.run(drive(deployment.urls, keys, workload, clients=clients,
                                       seconds=seconds))
            before = counts(database_url)
            log(f"ingest phase: importing {events:,} events while {clients} clients run")

            async def ingest_phase() -> tuple[Tally, float, str]:
                task = asyncio.create_task(asyncio.to_thread(
                    import_events, folder / "events.csv", env=deployment.env,
                    folder=folder))
                tally = await drive(deployment.urls, keys, workload, clients=clients,
                                    seconds=seconds, until=task)
                took, output = task.result()
                return tally, took, output

            ingest, import_seconds, import_output = asyncio.run(ingest_phase())
            after = counts(database_url)
            shared = None
            if shared_seconds > 0:
                log(f"shared-key phase: {clients} clients on one key, {shared_seconds:.0f} s")
                shared = asyncio.run(drive(deployment.urls, shared_key, workload,
                                           clients=clients, seconds=shared_seconds))
        for proc in deployment.procs:
            if proc.popen.poll() is not None:
                raise RuntimeError(f"{proc.name} exited during the run "
                                   f"({proc.popen.returncode}): see {proc.log_path}")
        succeeded = True
        return Result(steady, ingest, shared, before, after, imported, import_seconds,
                      import_output, sampler, prepare_seconds)
    finally:
        if deployment is not None:
            deployment.stop()
        if redis is not None:
            redis.proc.stop()
        postgres.stop()
        (folder / "events.csv").unlink(missing_ok=True)
        if succeeded:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            log(f"the processes' logs are kept in {folder}")


def report(result: Result, *, clients: int) -> None:
    print()
    for name, tally in (("steady", result.steady), ("ingest", result.ingest),
                        ("shared key (default rate limit)", result.shared)):
        if tally is not None:
            print("\n".join(describe(name, tally)))
    rate = result.imported["events"] / result.import_seconds
    summary = result.import_output.splitlines()[-1] if result.import_output else ""
    print(f"import: {result.imported['events']:,} events in {result.import_seconds:.1f} s = "
          f"{rate:,.0f} events/s ({summary})")
    delta = {key: result.after[key] - result.before[key] for key in result.before}
    print(f"counts: ledger +{delta['events']:,} (file {result.imported['events']:,}), opens "
          f"+{delta['opens']:,} ({result.imported['opens']:,}), clicks +{delta['clicks']:,} "
          f"({result.imported['clicks']:,}): {'exact' if result.counts_exact else 'WRONG'}")
    print(f"p99 during the import {p99(result.ingest) * 1e3:.1f} ms vs without "
          f"{p99(result.steady) * 1e3:.1f} ms ({p99(result.ingest) / p99(result.steady):.2f}x)")
    for name in sorted(result.sampler.peak_rss):
        print(f"  {name:<10} peak RSS {result.sampler.peak_rss[name] / 2**20:7.0f} MiB, "
              f"CPU {result.sampler.cpu[name]:7.1f} s")
    print(f"PostgreSQL connections: peak {result.sampler.peak_connections} "
          f"({clients} clients; pools of 10 + 10 overflow per process)")
    print(json.dumps({"steady_rps": round(result.steady.requests / result.steady.wall, 1),
                      "steady_p99_ms": round(p99(result.steady) * 1e3, 1),
                      "ingest_p99_ms": round(p99(result.ingest) * 1e3, 1),
                      "import_events_per_s": round(rate),
                      "server_errors": result.steady.server_errors()
                      + result.ingest.server_errors(),
                      "counts_exact": result.counts_exact}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=list(SCALES), default="S")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--shared-seconds", type=float, default=10,
                        help="the phase with one shared key (0: skip it)")
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pg-port", type=int, default=0, help="default: a free port")
    parser.add_argument("--redis-port", type=int, default=0, help="default: a free port")
    parser.add_argument("--app-port", type=int, default=0,
                        help="the first replica's port, the next ones follow (default: free)")
    arguments = parser.parse_args()
    started, cpu = time.perf_counter(), time.process_time()
    print(f"load average at start: {' '.join(f'{value:.2f}' for value in os.getloadavg())}"
          f" ({os.cpu_count()} cores)")
    result = run(scale=arguments.scale, clients=arguments.clients, seconds=arguments.seconds,
                 events=arguments.events, shared_seconds=arguments.shared_seconds,
                 replicas=arguments.replicas, workers=arguments.workers,
                 pg_port=arguments.pg_port, redis_port=arguments.redis_port,
                 app_port=arguments.app_port)
    report(result, clients=arguments.clients)
    print(f"wall {time.perf_counter() - started:.0f} s (demo load {result.prepare_seconds:.0f} s), "
          f"harness CPU {time.process_time() - cpu:.0f} s")
    failed = result.steady.server_errors() + result.ingest.server_errors()
    sys.exit(0 if failed == 0 and result.counts_exact else 1)


if __name__ == "__main__":
    main()
