"""The winner webhook actor against a real HTTP server on 127.0.0.1, on the StubBroker."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import dramatiq
import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

import jobs
from jobs.actors import experiment_webhook as experiments
from jobs.broker import QUEUE, broker
from server.db.models import Experiment, ExperimentCreate, JobRun
from server.db.repository.experiments import record_winner, save_experiment
from server.db.repository.jobs import create_job_run
from server.settings import Settings


class Receiver:
    """An HTTP server answering each POST with the next status (200 once they run out)."""

    def __init__(self, statuses: list[int], delay: float = 0.0) -> None:
        self.statuses, self.delay = statuses, delay
        self.requests: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802  (the http.server naming)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"path": self.path, "body": json.loads(body),
                                          "headers": dict(self.headers)})
                time.sleep(receiver.delay)
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[dramatiq.Worker]:
    # Retries in milliseconds, not seconds, so the test waits for nothing.
    monkeypatch.setitem(experiments.post_winner_webhook.options, "min_backoff", 10)
    monkeypatch.setitem(experiments.post_winner_webhook.options, "max_backoff", 20)
    worker = dramatiq.Worker(broker, worker_timeout=50, worker_threads=1)
    worker.start()
    yield worker
    worker.stop()


def decided(engine: Engine, url: str) -> int:
    with Session(engine) as session:
        row = save_experiment(session=session, experiment_in=ExperimentCreate(
            campaign_id="c1", primary_metric="open_rate", webhook_url=url))
        row = record_winner(session=session, experiment_id=row.id or 0, winner="B", lift=0.125,
                            lift_interval=(0.05, 0.2), forced=False, reason=None,
                            declared_by="analyst key")
        session.commit()
        return row.id or 0


def job(engine: Engine, job_id: int) -> JobRun:
    with Session(engine) as session:
        row = session.get(JobRun, job_id)
        assert row is not None
        return row


def experiment(engine: Engine, experiment_id: int) -> Experiment:
    with Session(engine) as session:
        row = session.get(Experiment, experiment_id)
        assert row is not None
        return row


def test_posts_the_winner_and_retries_a_failure(settings: Settings, engine: Engine,
                                                worker: dramatiq.Worker) -> None:
    with Receiver([503]) as receiver:
        experiment_id = decided(engine, receiver.url)
        job_id = jobs.send("experiment_webhook", experiment_id=experiment_id)
        broker.join(QUEUE, fail_fast=True)
        worker.join()
    row = experiment(engine, experiment_id)
    assert row.declared_at is not None and row.webhook_sent_at is not None
    payload = {"campaignId": "c1", "winner": "B", "metric": "open_rate", "lift": 0.125,
               "interval": {"low": 0.05, "high": 0.2},
               "declaredAt": row.declared_at.isoformat()}
    assert [r["body"] for r in receiver.requests] == [payload, payload]
    assert payload["declaredAt"].endswith("+00:00")
    headers = receiver.requests[1]["headers"]
    assert headers["Content-Type"] == "application/json"
    assert headers["Idempotency-Key"] == f"experiment-{experiment_id}-{payload['declaredAt']}"
    done = job(engine, job_id)
    assert (done.state, done.error, done.detail) == ("done", None,
                                                     f"POST {receiver.url} → 200")

    # A second run (a redelivered message) does not POST again.
    experiments.post_winner_webhook(job_id, experiment_id)
    assert len(receiver.requests) == 2
    assert job(engine, job_id).detail.startswith("already sent at ")


def test_gives_up_after_the_retries(settings: Settings, engine: Engine,
                                    worker: dramatiq.Worker,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(experiments.post_winner_webhook.options, "max_retries", 2)
    with Receiver([500, 500, 500, 500]) as receiver:
        experiment_id = decided(engine, receiver.url)
        job_id = jobs.send("experiment_webhook", experiment_id=experiment_id)
        with pytest.raises(httpx.HTTPStatusError):
            broker.join(QUEUE, fail_fast=True)
        worker.join()
    assert len(receiver.requests) == 3  # the first try and two retries
    failed = job(engine, job_id)
    assert failed.state == "failed"
    assert failed.error.startswith(f"POST {receiver.url} failed: HTTPStatusError: Server error "
                                   "'500 Internal Server Error'")
    assert experiment(engine, experiment_id).webhook_sent_at is None


def test_a_hanging_receiver_times_out(settings: Settings, engine: Engine,
                                      worker: dramatiq.Worker,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(experiments, "TIMEOUT", httpx.Timeout(0.2))
    monkeypatch.setitem(experiments.post_winner_webhook.options, "max_retries", 0)
    with Receiver([], delay=1.0) as receiver:
        experiment_id = decided(engine, receiver.url)
        job_id = jobs.send("experiment_webhook", experiment_id=experiment_id)
        broker.join(QUEUE, fail_fast=False)
        worker.join()
    failed = job(engine, job_id)
    assert failed.state == "failed"
    assert "ReadTimeout" in (failed.error or "")


def test_refuses_a_bad_url_without_retrying(settings: Settings, engine: Engine) -> None:
    experiment_id = decided(engine, "file:///etc/passwd")
    with Session(engine) as session:
        job_id = create_job_run(session=session, actor="experiment_webhook",
                                args={"experiment_id": experiment_id}).id or 0
        session.commit()
    experiments.post_winner_webhook(job_id, experiment_id)
    failed = job(engine, job_id)
    assert (failed.state, failed.error) == (
        "failed", "webhook URL is not an http(s) URL: give an address such as "
                  "https://example.com/hook")


def test_nothing_to_send_without_a_winner(settings: Settings, engine: Engine) -> None:
    with Session(engine) as session:
        row = save_experiment(session=session, experiment_in=ExperimentCreate(
            campaign_id="c1", webhook_url="https://example.com/hook"))
        experiment_id = row.id or 0
        job_id = create_job_run(session=session, actor="experiment_webhook",
                                args={"experiment_id": experiment_id}).id or 0
        session.commit()
    experiments.post_winner_webhook(job_id, experiment_id)
    assert job(engine, job_id).detail == ("nothing to send: no declared winner or no webhook "
                                          "URL")


def test_an_error_after_the_post_marks_failed_and_is_raised(
        settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    def locked(**_: object) -> None:
        raise RuntimeError("database is locked")

    monkeypatch.setattr(experiments, "mark_webhook_sent", locked)
    with Receiver([]) as receiver:
        experiment_id = decided(engine, receiver.url)
        with Session(engine) as session:
            job_id = create_job_run(session=session, actor="experiment_webhook",
                                    args={"experiment_id": experiment_id}).id or 0
            session.commit()
        with pytest.raises(RuntimeError, match="database is locked"):
            experiments.post_winner_webhook(job_id, experiment_id)
    assert len(receiver.requests) == 1
    failed = job(engine, job_id)
    assert (failed.state, failed.error) == ("failed", "RuntimeError: database is locked")
    assert experiment(engine, experiment_id).webhook_sent_at is None
