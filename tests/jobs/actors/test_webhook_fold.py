"""fold_webhook on the in-process StubBroker, and once on a real Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import dramatiq
import pytest
import redis
from sqlalchemy import Engine
from starlette.testclient import TestClient

from jobs import actors  # noqa: F401  (declares fold_webhook on the broker)
from jobs.actors.webhook_fold import fold_webhook
from jobs.broker import QUEUE, broker
from server.db.repository.webhooks import store_delivery
from server.settings import Settings
from tests.server.webhooks.support import Keys, sample, table


@pytest.fixture
def worker() -> Iterator[dramatiq.Worker]:
    worker = dramatiq.Worker(broker, worker_timeout=50, worker_threads=1)
    worker.start()
    yield worker
    worker.stop()


def test_the_enqueued_fold_stores_the_events_and_records_the_job(
        hook_client: TestClient, keys: Keys, engine: Engine,
        worker: dramatiq.Worker) -> None:
    for name in ("processed", "delivered", "open"):
        body = sample("sendgrid", name)
        response = hook_client.post("/webhooks/sendgrid", content=body,
                                    headers=keys.sendgrid_headers(body))
        assert response.status_code == 200
    broker.join(QUEUE, fail_fast=True)
    worker.join()
    assert sorted(table(engine, "SELECT type FROM email_event")) == [("delivered",), ("open",)]
    jobs = table(engine, "SELECT actor, state, detail FROM job_run ORDER BY id")
    assert [(actor, job_state) for actor, job_state, _ in jobs] == [("fold_webhook", "done")] * 3
    assert jobs[2][2].endswith("delivery 3: 1 events, 1 new, 0 quarantined")
    assert table(engine, "SELECT count(*) FROM webhook_delivery WHERE folded_at IS NULL") == [
        (0,)]


def test_running_the_fold_twice_changes_nothing(
        hook_client: TestClient, keys: Keys, engine: Engine, hook_settings: Settings) -> None:
    body = sample("sendgrid", "click")
    job_id = hook_client.post("/webhooks/sendgrid", content=body,
                              headers=keys.sendgrid_headers(body)).json()["job"]
    fold_webhook.fn(job_id=job_id, delivery_id=1)
    fold_webhook.fn(job_id=job_id, delivery_id=1)
    assert table(engine, "SELECT click_count FROM message") == [(1,)]
    assert table(engine, "SELECT state FROM job_run") == [("done",)]


@pytest.mark.redis
def test_a_worker_process_on_a_real_redis_folds_deliveries(
        settings: Settings, engine: Engine, database_url: str, redis_url: str,
        tmp_path) -> None:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    bodies = [sample("sendgrid", name) for name in ("processed", "delivered", "click")]
    deliveries = [store_delivery(engine=engine, provider="sendgrid", body=body)[0]
                  for body in bodies]
    env = {**os.environ, "MAILSCOPE_BROKER_URL": redis_url,
           "MAILSCOPE_DATABASE_URL": database_url}
    # Enqueue as an API process on Redis would (this process's broker is the stub).
    code = ("import jobs; print(' '.join(str(jobs.send('fold_webhook', delivery_id=d)) "
            f"for d in {deliveries!r}))")
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
    worker = subprocess.Popen([str(Path(sys.executable).with_name("mailscope")), "worker",
                               "--processes", "1", "--threads", "1"], env=env, cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if table(engine, "SELECT count(*) FROM webhook_delivery "
                             "WHERE folded_at IS NULL") == [(0,)]:
                break
            assert worker.poll() is None, "the worker exited early"
            time.sleep(0.3)
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=60)
        client.flushdb()
        client.close()
    assert sorted(table(engine, "SELECT type FROM email_event")) == [
        ("click",), ("delivered",)], output.decode(errors="replace")
    assert table(engine, "SELECT state FROM job_run") == [("done",)] * 3
