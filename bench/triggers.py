"""Trigger evaluation at scale: the batch evaluator, the absence sweep and its replay,
against the straightforward per-event Python approach.

Generates ``--customers`` customers (default 100,000) with about ten behaviour events
each over 30 days (~1M events: 70% product_view, 20% cart_add, 10% checkout; each
customer fills up to three carts, ``cart_id`` in the properties; 60% of checkouts name
their cart, the rest name none and close every open cart), copies them into a fresh
SQLite database and sets the cart-abandonment template up (cart_add, no checkout within
2 h, per cart; cooldown 1 d, at most 3 firings; no exit events, and the global
frequency cap off, so the peer below needs no orders). Then:

- batch evaluator: ``evaluate(customer_ids=batch)`` as an import of behaviour triggers
  it, for ``--batches`` batches of ``--batch-size`` customers (firings then cleared);
- sweep: ``evaluate()`` over everyone, once the deadlines have passed (reads the
  events, finds the due occasions, decides them, inserts the firing log);
- replay: the same sweep again: it must decide nothing (zero new firings);
- the evaluation core (due occasions and the firing policy, on the frame the sweep
  read) against a per-event Python loop over the same events (carts opened, closed by
  checkouts in event order, then cooldown and maximum per customer), checked to agree
  decision for decision.

    python bench/triggers.py
    python bench/triggers.py --customers 20000
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analytics.triggers.definitions import TEMPLATES  # noqa: E402
from analytics.triggers.policy import FIRED_SCHEMA, Limits, decide  # noqa: E402
from analytics.triggers.sequences import EVENTS_SCHEMA, due_occasions  # noqa: E402

START = datetime(2026, 3, 1, tzinfo=UTC)
DAYS = 30
AS_OF = START + timedelta(days=DAYS + 1)
WITHIN = timedelta(hours=2)
COOLDOWN = timedelta(days=1)
MAXIMUM = 3
DEFINITION = {"sequence": TEMPLATES["cart_abandonment"]["definition"]["sequence"]}


def generate(customers: int, seed: int = 7) -> pl.DataFrame:
    """The behaviour events (EVENTS_SCHEMA plus event_id), about ten per customer."""
    rng = np.random.default_rng(seed)
    per = rng.poisson(10, customers)
    owner = np.repeat(np.arange(customers), per)
    n = owner.size
    kind = rng.choice(np.array(["product_view", "cart_add", "checkout"]), n, p=[.7, .2, .1])
    seconds = rng.integers(0, DAYS * 86_400, n)
    cart = rng.integers(0, 3, n)
    named = rng.random(n) < 0.6
    frame = pl.DataFrame({"owner": owner, "type": kind, "seconds": seconds, "cart": cart,
                          "named": named})
    cart_json = pl.lit('{"cart_id": "k') + pl.col("owner").cast(pl.String) + pl.lit("-") \
        + pl.col("cart").cast(pl.String) + pl.lit('"}')
    return frame.select(
        (pl.lit("e") + pl.int_range(pl.len()).cast(pl.String)).alias("event_id"),
        (pl.lit("c") + pl.col("owner").cast(pl.String)).alias("customer_id"),
        "type",
        (pl.lit(START) + pl.duration(seconds=pl.col("seconds"))).alias("occurred_at"),
        pl.when(pl.col("type") == "product_view")
        .then(pl.lit("p") + pl.col("cart").cast(pl.String)).alias("product_id"),
        pl.when((pl.col("type") == "cart_add")
                | ((pl.col("type") == "checkout") & pl.col("named")))
        .then(cart_json).alias("properties"))


def python_loop(rows: list[tuple[str, str, datetime, str | None, str | None]],
                as_of: datetime) -> dict[tuple[str, str], tuple[datetime, str]]:
    """The straightforward approach: walk every event in time order, keep each
    customer's open carts, close them on checkouts, then decide the due ones."""
    ordered = sorted(rows, key=lambda r: (r[2], r[1] != "cart_add"))
    started: dict[tuple[str, str], datetime] = {}
    closed: set[tuple[str, str]] = set()
    carts_of: dict[str, list[str]] = {}
    for customer, kind, at, _product, properties in ordered:
        key = json.loads(properties).get("cart_id") if properties else None
        if kind == "cart_add" and key is not None:
            if (customer, key) not in started:
                started[(customer, key)] = at
                carts_of.setdefault(customer, []).append(key)
        elif kind == "checkout":
            for cart in carts_of.get(customer, []):
                if (key is None or key == cart) and \
                        started[(customer, cart)] <= at <= started[(customer, cart)] + WITHIN:
                    closed.add((customer, cart))
    due = sorted((start + WITHIN, customer, f"cart_id:{cart}")
                 for (customer, cart), start in started.items()
                 if (customer, cart) not in closed and start + WITHIN <= as_of)
    fired: dict[str, list[datetime]] = {}
    decisions: dict[tuple[str, str], tuple[datetime, str]] = {}
    for at, customer, key in due:
        past = fired.setdefault(customer, [])
        if len(past) >= MAXIMUM:
            status = "maximum"
        elif past and at < past[-1] + COOLDOWN:
            status = "cooldown"
        else:
            status = "fired"
            past.append(at)
        decisions[(customer, key)] = (at, status)
    return decisions


def polars_core(events: pl.DataFrame, as_of: datetime) -> dict[tuple[str, str],
                                                                 tuple[datetime, str]]:
    """The evaluation core the runner uses: due occasions, then the firing policy."""
    from analytics.triggers.definitions import parse_definition
    sequence = parse_definition(json.dumps(DEFINITION), ("cart_add", "checkout")).sequence
    due = due_occasions(events, sequence, as_of)
    decisions = decide(due, pl.DataFrame(schema=FIRED_SCHEMA),
                       Limits(cooldown=COOLDOWN, max_firings=MAXIMUM))
    return {(c, k): (at, s) for c, k, at, s in
            decisions.select("customer_id", "occasion_key", "due_at", "status").iter_rows()}


def timed(label: str, work: Any) -> tuple[Any, float]:
    began = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - began
    print(f"  {label}: {seconds:.2f} s", flush=True)
    return result, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=1_000)
    parser.add_argument("--batches", type=int, default=10)
    args = parser.parse_args()
    print(f"machine load (uptime): {os.getloadavg()[0]:.1f} / {os.cpu_count()} cores")

    from sqlalchemy import text
    from sqlmodel import Session

    from server.db.engine import engine_for
    from server.db.migrate import upgrade
    from server.db.repository.bulk import copy_into
    from server.db.repository.triggers import update_trigger
    from server.runners import triggers
    from server.settings import configure

    events, _ = timed("generate", lambda: generate(args.customers))
    print(f"{args.customers:,} customers, {events.height:,} behaviour events "
          f"({events.filter(pl.col('type') == 'cart_add').height:,} cart_add)")
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out) as folder:
        url = f"sqlite:///{Path(folder) / 'triggers.db'}"
        upgrade(url)
        configure(database_url=url, broker_url=None, trigger_cap=0, secret_key="b" * 40)
        engine = engine_for(url)
        with engine.begin() as connection:
            timed("copy into behavior_event",
                  lambda: copy_into(connection, "behavior_event", events))
        trigger = triggers.create_trigger(engine, name="Carts", definition=json.dumps(DEFINITION),
                                          cooldown="1d", max_firings=MAXIMUM).trigger
        with Session(engine) as session:
            update_trigger(session=session, trigger_id=trigger.id or 0,
                           values={"created_at": START - timedelta(days=1)})
            session.commit()

        print("batch evaluator (an import's customers, as each batch arrives):")
        ids = [f"c{i}" for i in range(args.customers)]
        began = time.perf_counter()
        batch_events = 0
        for number in range(args.batches):
            batch = ids[number * args.batch_size:(number + 1) * args.batch_size]
            batch_events += events.filter(pl.col("customer_id").is_in(batch)).height
            triggers.evaluate(engine, customer_ids=batch, as_of=AS_OF, deliver=False)
        seconds = time.perf_counter() - began
        print(f"  {args.batches} batches of {args.batch_size:,} customers: {seconds:.2f} s, "
              f"{seconds / args.batches * 1000:.0f} ms a batch, "
              f"{args.batches * args.batch_size / seconds:,.0f} customers/s, "
              f"{batch_events / seconds:,.0f} events/s")
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM trigger_firing"))

        print("sweep over everyone (absence deadlines passed):")
        swept, sweep_s = timed("sweep", lambda: triggers.evaluate(engine, as_of=AS_OF,
                                                                  deliver=False))
        print(f"  decided {swept.summary()}; {events.height / sweep_s:,.0f} events/s, "
              f"{args.customers / sweep_s:,.0f} customers/s")
        replay, _ = timed("replay (the same sweep again)",
                          lambda: triggers.evaluate(engine, as_of=AS_OF, deliver=False))
        print(f"  replay decided: {replay.summary()}; new firings: {len(replay.fired)}")

        print("evaluation core against the per-event Python loop (same events):")
        frame = events.select(list(EVENTS_SCHEMA))
        core, core_s = timed("polars (due occasions + policy)",
                             lambda: polars_core(frame, AS_OF))
        rows = frame.rows()
        loop, loop_s = timed("python per-event loop", lambda: python_loop(rows, AS_OF))
        differing = sum(1 for key in core.keys() | loop.keys() if core.get(key) != loop.get(key))
        print(f"  {len(core):,} decisions, {differing} differing; polars "
              f"{events.height / core_s:,.0f} events/s, loop {events.height / loop_s:,.0f} "
              f"events/s: {loop_s / core_s:.1f}x")
        with engine.connect() as connection:
            stored = connection.execute(text(
                "SELECT status, COUNT(*) FROM trigger_firing GROUP BY status ORDER BY status"
            )).all()
        expected: dict[str, int] = {}
        for _, status in core.values():
            expected[status] = expected.get(status, 0) + 1
        print(f"  stored log {dict(stored)} vs the core {dict(sorted(expected.items()))}")
        engine.dispose()


if __name__ == "__main__":
    main()
