"""Addresses hashed at rest: what hashing costs a customer import, and how long
``mailscope privacy hash-emails`` takes to convert an existing database.

Imports N customers (SQLite file) with hashing off and on and prints both times (wall
and CPU) and their ratio (the plain import is the peer); then converts a database
of N plain customers and prints the conversion time and rate.

    python bench/email_hashing.py
    python bench/email_hashing.py --customers 20000   # a quicker look
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server.db.engine import engine_for  # noqa: E402
from server.db.migrate import upgrade  # noqa: E402
from server.ingest import load_frame  # noqa: E402
from server.runners.email_hashing import hash_emails  # noqa: E402
from server.settings import Settings, configure  # noqa: E402

KEY = "bench-key-" + "k" * 32


def customers(count: int) -> pl.DataFrame:
    return pl.DataFrame({"customer_id": [f"u{i}" for i in range(count)],
                         "email": [f"Person.{i}@Example{i % 50}.com" for i in range(count)],
                         "first_name": [f"P{i}" for i in range(count)]})


def fresh(folder: Path, name: str, **values: object) -> Settings:
    url = f"sqlite:///{folder / name}.db"
    upgrade(url)
    return configure(database_url=url, **values)


def timed(step: str, action: object) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    action()  # type: ignore[operator]
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{step}: {wall:.2f} s wall, {cpu:.2f} s CPU")
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    count = parser.parse_args().customers
    frame = customers(count)
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        plain = fresh(base, "plain")
        off, _ = timed(f"import {count:,} customers, hashing off", lambda: load_frame(
            "customers", frame, engine=engine_for(plain.database_url)))
        on_settings = fresh(base, "hashed", email_hashing=True, email_hash_key=KEY)
        on, _ = timed(f"import {count:,} customers, hashing on", lambda: load_frame(
            "customers", frame, engine=engine_for(on_settings.database_url)))
        print(f"hashing on / off: {on / off:.2f}x the plain import")
        converted = configure(database_url=plain.database_url, email_hashing=True,
                              email_hash_key=KEY)
        wall, _ = timed(f"convert {count:,} plain customers", lambda: hash_emails(
            engine_for(converted.database_url), converted))
        print(f"conversion rate: {count / wall:,.0f} customers/s")


if __name__ == "__main__":
    main()
