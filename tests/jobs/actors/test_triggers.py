"""Trigger jobs: evaluation through the broker, the signed webhook against a real HTTP
server on 127.0.0.1 (once per firing, retried on failure), on the StubBroker."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import dramatiq
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

import jobs
from jobs.actors import triggers as actors
from jobs.broker import QUEUE, broker
from server.db.models import JobRun
from server.runners import triggers
from server.settings import Settings
from tests.jobs.actors.test_experiment_webhook import Receiver
from tests.server.runners.test_triggers import CART, END, SCENARIO, T0, ingest, make

MAILSCOPE = Path(sys.executable).with_name("mailscope")


@pytest.fixture
def worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[dramatiq.Worker]:
    monkeypatch.setitem(actors.deliver_trigger_webhook.options, "min_backoff", 10)
    monkeypatch.setitem(actors.deliver_trigger_webhook.options, "max_backoff", 20)
    worker = dramatiq.Worker(broker, worker_timeout=50, worker_threads=1)
    worker.start()
    yield worker
    worker.stop()


def job(engine: Engine, job_id: int) -> JobRun:
    with Session(engine) as session:
        row = session.get(JobRun, job_id)
        assert row is not None
        return row


def test_sweep_fires_and_posts_signed_webhooks_once(settings: Settings, engine: Engine,
                                                   worker: dramatiq.Worker) -> None:
    with Receiver([503]) as receiver:
        ingest(engine, SCENARIO)  # before any trigger: no evaluation job
        trigger_id = make(engine, definition=CART, webhook_url=receiver.url)
        sweep = jobs.send("evaluate_triggers", as_of=END.isoformat())
        broker.join(QUEUE, fail_fast=True)
        worker.join()
        assert job(engine, sweep).detail == "2 fired"
        # A second sweep (cron, or a redelivered message) decides and posts nothing.
        again = jobs.send("evaluate_triggers", as_of=END.isoformat())
        broker.join(QUEUE, fail_fast=True)
        worker.join()
    assert job(engine, again).detail == "no occasion due"
    trigger = triggers.get_trigger(engine, trigger_id)
    assert trigger is not None
    firings = {f.customer_id: f for f in triggers.firings(engine)}
    # u2's POST failed once (503) and was retried: three POSTs, two firings.
    bodies = [r["body"] for r in receiver.requests]
    assert len(bodies) == 3 and {b["customerId"] for b in bodies} == {"u2", "u3"}
    u3 = firings["u3"]
    assert u3.delivered_at is not None and u3.delivery_status == 200
    expected = {"firingId": u3.id, "triggerId": trigger_id, "trigger": "Cart",
                "customerId": "u3", "occasionKey": "cart_id:c3",
                "reason": "cart_add at 2026-03-01T09:50:00Z with cart_id=c3, then no "
                          "checkout within 2h: fired",
                "dueAt": (T0 + timedelta(minutes=170)).isoformat()}
    request = next(r for r in receiver.requests if r["body"]["customerId"] == "u3")
    assert request["body"] == expected
    headers = request["headers"]
    assert headers["Idempotency-Key"] == f"trigger-firing-{u3.id}"
    # The receiver's check, as the README documents it.
    raw = json.dumps(expected).encode()
    mac = hmac.new(trigger.webhook_secret.encode(),
                   headers["X-Mailscope-Timestamp"].encode() + b"." + raw, hashlib.sha256)
    assert headers["X-Mailscope-Signature"] == "v1=" + mac.hexdigest()

    # A redelivered delivery job does not POST again.
    with Session(engine) as session:
        delivery = JobRun(actor="trigger_webhook", args=json.dumps({"firing_id": u3.id}))
        session.add(delivery)
        session.commit()
        delivery_id = delivery.id or 0
    actors.deliver_trigger_webhook(delivery_id, u3.id or 0)
    assert len(receiver.requests) == 3
    assert job(engine, delivery_id).detail.startswith("already delivered at ")


def test_nothing_to_send_for_a_firing_that_did_not_fire(settings: Settings,
                                                        engine: Engine) -> None:
    make(engine, definition=CART, webhook_url="https://example.com/hook", enabled=False)
    ingest(engine, SCENARIO)
    triggers.evaluate(engine, as_of=END, deliver=False)
    [firing, _] = triggers.firings(engine)
    assert firing.status == "paused"
    with Session(engine) as session:
        delivery = JobRun(actor="trigger_webhook", args="{}")
        session.add(delivery)
        session.commit()
        delivery_id, firing_id = delivery.id or 0, firing.id or 0
    actors.deliver_trigger_webhook(delivery_id, firing_id)
    assert job(engine, delivery_id).detail == ("nothing to send: no such firing, not fired, "
                                               "or no webhook URL")


SWEEPS = 8


@pytest.fixture
def redis_broker_url(redis_url: str) -> Iterator[str]:
    # The test run's own Redis database (MAILSCOPE_TEST_REDIS_URL), flushed before and
    # after: a fixed shared number would let parallel runs consume each other's messages.
    import redis

    url = redis_url
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.mark.redis
def test_two_redis_workers_fire_each_cart_once(settings: Settings, engine: Engine,
                                               database_url: str, redis_broker_url: str,
                                               tmp_path: Path) -> None:
    with Receiver([]) as receiver:
        ingest(engine, SCENARIO)
        make(engine, definition=CART, webhook_url=receiver.url)
        env = {**os.environ, "MAILSCOPE_BROKER_URL": redis_broker_url,
               "MAILSCOPE_DATABASE_URL": database_url}
        workers = [subprocess.Popen([str(MAILSCOPE), "worker", "--processes", "1",
                                     "--threads", "2"], env=env, cwd=tmp_path,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                   for _ in range(2)]
        try:
            # Many sweeps at once, sent like a production process would send them.
            code = ("import jobs; print(' '.join(str(jobs.send('evaluate_triggers', "
                    f"as_of={END.isoformat()!r})) for _ in range({SWEEPS})))")
            out = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                                 capture_output=True, text=True, timeout=60)
            sweeps = [int(value) for value in out.stdout.split()]
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                with Session(engine) as session:
                    runs = session.exec(select(JobRun)).all()
                if len(runs) == SWEEPS + 2 and all(r.state == "done" for r in runs):
                    break
                assert all(w.poll() is None for w in workers), "a worker exited early"
                time.sleep(0.3)
        finally:
            for process in workers:
                process.send_signal(signal.SIGTERM)
            outputs = [process.communicate(timeout=60)[0].decode() for process in workers]
    assert [process.returncode for process in workers] == [0, 0], outputs
    with Session(engine) as session:
        runs = session.exec(select(JobRun).order_by(col(JobRun.id))).all()
    assert sorted(run.state for run in runs) == ["done"] * (SWEEPS + 2), [
        (run.actor, run.state, run.error) for run in runs]
    details = sorted(run.detail.split(": ", 1)[-1] for run in runs if run.id in sweeps)
    assert details == ["2 fired"] + ["no occasion due"] * (SWEEPS - 1)
    assert sorted(r["body"]["customerId"] for r in receiver.requests) == ["u2", "u3"]
    assert sorted((f.customer_id, f.status) for f in triggers.firings(engine)) == [
        ("u2", "fired"), ("u3", "fired")]
