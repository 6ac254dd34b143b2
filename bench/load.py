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
import contextlib
import glob
import json
import math
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta
from pathlib import Path
from typing import Any

import httpx
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCALES = {"XS": {"customers": 200, "campaigns": 4, "days": 14},
          "S": {"customers": 20_000, "campaigns": 60, "days": 180},
          "M": {"customers": 100_000, "campaigns": 200, "days": 180}}
# The share of each kind of request a client makes (a dashboard user, a campaign
# browser, a customer-service look-up, a marketer checking segments).
MIX = {"dashboard": 0.25, "campaigns": 0.35, "customer": 0.30, "segments": 0.10}
CAMPAIGN_PAGE = 20
MAILSCOPE = Path(sys.executable).parent / "mailscope"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- processes -------------------------------------------------------------------------


@dataclass
class Proc:
    """A process the harness started, in a process group of its own."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    def tree(self) -> list[int]:
        """This process and its descendants (dramatiq forks its worker processes)."""
        pids, frontier = [self.popen.pid], [self.popen.pid]
        while frontier:
            parent = frontier.pop()
            for path in glob.glob(f"/proc/{parent}/task/*/children"):
                with contextlib.suppress(OSError):
                    children = [int(pid) for pid in Path(path).read_text().split()]
                    pids += children
                    frontier += children
        return pids

    def stop(self, timeout: float = 15) -> None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(5)


def spawn(name: str, argv: list[str], *, env: dict[str, str], folder: Path) -> Proc:
    log_path = folder / f"{name}.log"
    with log_path.open("wb") as output:
        popen = subprocess.Popen(argv, env=env, cwd=folder, stdout=output,  # noqa: S603
                                 stderr=subprocess.STDOUT, start_new_session=True)
    return Proc(name, popen, log_path)


def _as_postgres(command: list[str]) -> list[str]:
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        return ["su", "postgres", "-c", subprocess.list2cmdline(command)]
    return command


class OwnPostgres:
    """A throw-away PostgreSQL: initdb into a temporary folder, loopback only."""

    def __init__(self, port: int) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        initdb = found[-1] if found else shutil.which("initdb")
        if initdb is None:
            raise RuntimeError("PostgreSQL's server binaries (initdb) are not installed")
        self.binaries = Path(initdb).parent
        self.folder = Path(tempfile.mkdtemp(prefix="mailscope-load-pg-", dir="/tmp"))
        self.data = self.folder / "data"
        self.port = port or free_port()
        self.started = False

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *argv: str) -> None:
        command = _as_postgres([str(self.binaries / argv[0]), *argv[1:]])
        subprocess.run(command, check=True, capture_output=True, timeout=300)  # noqa: S603

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres")
        self.started = True
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "log"), "-w", "-t",
                  "60", "-o", f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1 "
                              "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                              "-c max_connections=200 -c shared_buffers=256MB", "start")

    def stop(self) -> None:
        if self.started:
            subprocess.run(_as_postgres([str(self.binaries / "pg_ctl"), "-D",  # noqa: S603
                                         str(self.data), "-m", "fast", "-w", "stop"]),
                           capture_output=True, check=False, timeout=120)
        shutil.rmtree(self.folder, ignore_errors=True)


class OwnRedis:
    """A throw-away Redis in the foreground of its own process group, no persistence."""

    def __init__(self, port: int, folder: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.port = port or free_port()
        self.proc = spawn("redis", [binary, "--port", str(self.port), "--bind", "127.0.0.1",
                                    "--save", "", "--appendonly", "no"],
                          env=dict(os.environ), folder=folder)
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError), socket.create_connection(
                    ("127.0.0.1", self.port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                if connection.recv(16).startswith(b"+PONG"):
                    return
            if time.monotonic() > deadline or self.proc.popen.poll() is not None:
                raise RuntimeError(f"Redis did not start: see {self.proc.log_path}")
            time.sleep(0.1)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


def run_cli(argv: list[str], *, env: dict[str, str], folder: Path) -> str:
    done = subprocess.run([str(MAILSCOPE), *argv], env=env, cwd=folder,  # noqa: S603
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"mailscope {' '.join(argv)} failed ({done.returncode}):\n"
                           f"{done.stdout}\n{done.stderr}")
    return done.stdout


@dataclass
class Deployment:
    """``replicas`` × ``mailscope serve`` and ``workers`` × ``mailscope worker``."""

    database_url: str
    broker_url: str
    folder: Path
    replicas: int = 2
    workers: int = 2
    first_port: int = 0
    extra_env: dict[str, str] = field(default_factory=dict)
    servers: list[Proc] = field(default_factory=list)
    worker_procs: list[Proc] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "MAILSCOPE_DATABASE_URL": self.database_url,
                "MAILSCOPE_BROKER_URL": self.broker_url,
                "MAILSCOPE_SECRET_KEY": "load-" + "k" * 40, **self.extra_env}

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    @property
    def procs(self) -> list[Proc]:
        return [*self.servers, *self.worker_procs]

    def start(self) -> None:
        for number in range(self.workers):
            self.worker_procs.append(spawn(f"worker-{number + 1}", [
                str(MAILSCOPE), "worker", "--processes", "1", "--threads", "2"],
                env=self.env, folder=self.folder))
        for number in range(self.replicas):
            port = self.first_port + number if self.first_port else free_port()
            self.ports.append(port)
            self.servers.append(spawn(f"replica-{number + 1}", [
                str(MAILSCOPE), "serve", "--host", "127.0.0.1", "--port", str(port)],
                env=self.env, folder=self.folder))
        deadline = time.monotonic() + 180
        for proc, url in zip(self.servers, self.urls, strict=True):
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                        break
                if proc.popen.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{proc.name} did not start: "
                                       f"{proc.log_path.read_text()[-2000:]}")
                time.sleep(0.3)
        for proc in self.worker_procs:
            if proc.popen.poll() is not None:
                raise RuntimeError(f"{proc.name} exited: {proc.log_path.read_text()[-2000:]}")

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()


# --- resource sampling -----------------------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def _rss_and_cpu(pids: list[int]) -> tuple[int, float]:
    rss, cpu = 0, 0.0
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime
            rss += int(fields[21]) * PAGE_BYTES
    return rss, cpu


class Sampler:
    """Every ``interval`` s: the RSS of each process tree (peak kept), its CPU seconds,
    and PostgreSQL's connections to the database (peak kept)."""

    def __init__(self, procs: list[Proc], database_url: str, interval: float = 0.5) -> None:
        from sqlalchemy import text

        from server.db.engine import engine_for

        self.procs = procs
        self.interval = interval
        self.peak_rss: dict[str, int] = defaultdict(int)
        self.cpu: dict[str, float] = {}
        self.peak_connections = 0
        self._engine = engine_for(database_url)
        self._query = text("SELECT count(*) FROM pg_stat_activity "
                           "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def sample(self) -> None:
        for proc in self.procs:
            rss, cpu = _rss_and_cpu(proc.tree())
            self.peak_rss[proc.name] = max(self.peak_rss[proc.name], rss)
            self.cpu[proc.name] = max(self.cpu.get(proc.name, 0.0), cpu)
        with contextlib.suppress(Exception), self._engine.connect() as connection:
            count = int(connection.execute(self._query).scalar_one())
            self.peak_connections = max(self.peak_connections, count)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> Sampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()
        self._engine.dispose()


# --- the clients -----------------------------------------------------------------------


def _queries() -> dict[str, str]:
    """The operations the pages send, so the load is what a browser's pages cause."""
    from server.web.campaigns import CAMPAIGNS_QUERY
    from server.web.customers import CUSTOMER_QUERY
    from server.web.dashboard import DASHBOARD_QUERY
    from server.web.segments import SEGMENTS_QUERY

    return {"dashboard": DASHBOARD_QUERY, "campaigns": CAMPAIGNS_QUERY,
            "customer": CUSTOMER_QUERY, "segments": SEGMENTS_QUERY}


@dataclass
class Workload:
    customer_ids: list[str]
    dashboard_variables: dict[str, Any]
    queries: dict[str, str] = field(default_factory=_queries)


@dataclass
class Tally:
    """What one phase's clients saw."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    rate_limited: Counter[str] = field(default_factory=Counter)
    wall: float = 0.0
    client_cpu: float = 0.0
    load: tuple[float, float] = (0.0, 0.0)

    @property
    def requests(self) -> int:
        return sum(len(values) for values in self.latencies.values())

    def server_errors(self) -> int:
        return sum(self.errors.values())


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


async def _client(number: int, base_url: str, key: str, workload: Workload, tally: Tally,
                  stop: asyncio.Event, seed: int) -> None:
    chooser = random.Random(seed * 1_000 + number)  # noqa: S311 (a load mix, not a secret)
    kinds, weights = list(MIX), list(MIX.values())
    cursor: str | None = None
    async with httpx.AsyncClient(base_url=base_url, timeout=120,
                                 headers={"Authorization": f"Bearer {key}"}) as client:
        requests = 0
        while not stop.is_set():
            # Client i starts with kind i mod 4, so a few clients cover every kind.
            kind = (kinds[number % len(kinds)] if requests == 0
                    else chooser.choices(kinds, weights)[0])
            requests += 1
            variables: dict[str, Any] = {}
            if kind == "dashboard":
                variables = workload.dashboard_variables
            elif kind == "campaigns":  # the next page after the last one, or page 1
                variables = {"first": CAMPAIGN_PAGE, "after": cursor, "filter": None}
            elif kind == "customer":
                variables = {"id": chooser.choice(workload.customer_ids)}
            started = time.perf_counter()
            try:
                response = await client.post("/graphql", json={
                    "query": workload.queries[kind], "variables": variables})
            except httpx.HTTPError as error:
                tally.errors[f"{kind}: {type(error).__name__}"] += 1
                continue
            elapsed = time.perf_counter() - started
            if response.status_code == 429:
                tally.rate_limited[kind] += 1
                await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
                continue
            tally.latencies[kind].append(elapsed)
            if response.status_code != 200:
                tally.errors[f"{kind}: HTTP {response.status_code}"] += 1
                continue
            body = response.json()
            if body.get("errors"):
                tally.errors[f"{kind}: GraphQL {body['errors'][0].get('message', '')[:80]}"] += 1
                continue
            if kind == "campaigns":
                page = body["data"]["campaigns"]["pageInfo"]
                cursor = page["endCursor"] if page["hasNextPage"] else None


async def drive(urls: list[str], keys: list[str], workload: Workload, *, clients: int,
                seconds: float, until: asyncio.Future[Any] | None = None,
                seed: int = 7) -> Tally:
    """``clients`` closed-loop clients (client i on replica i mod n, key i mod len(keys))
    for ``seconds`` s, or until ``until`` is done if that is later."""
    tally = Tally()
    stop = asyncio.Event()
    started, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    load_before = os.getloadavg()[0]
    tasks = [asyncio.create_task(_client(number, urls[number % len(urls)],
                                         keys[number % len(keys)], workload, tally, stop,
                                         seed))
             for number in range(clients)]
    await asyncio.sleep(seconds)
    if until is not None:
        await asyncio.wait([until])
    stop.set()
    await asyncio.gather(*tasks)
    tally.wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    tally.client_cpu = (after.ru_utime - cpu.ru_utime) + (after.ru_stime - cpu.ru_stime)
    tally.load = (load_before, os.getloadavg()[0])
    return tally


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
