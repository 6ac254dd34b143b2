"""Trigger jobs: evaluation through the broker, the signed webhook against a real HTTP
server on 127.0.0.1 (once per firing, retried on failure), on the StubBroker."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import timedelta

import dramatiq
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

import jobs
from jobs.actors import triggers as actors
from jobs.broker import QUEUE, broker
from server.db.models import JobRun
from server.runners import triggers
from server.settings import Settings
from tests.jobs.actors.test_experiment_webhook import Receiver
from tests.server.runners.test_triggers import CART, END, SCENARIO, T0, ingest, make


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
