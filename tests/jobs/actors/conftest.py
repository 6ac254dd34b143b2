"""Fixtures the actor tests share with the server tests, and a worker on the stub broker."""

from collections.abc import Iterator

import dramatiq
import pytest

from jobs.broker import broker
from tests.server.webhooks.support import (  # noqa: F401  (fixtures, found by name)
    clean_broker,
    hook_client,
    hook_settings,
    keys,
)


@pytest.fixture
def worker() -> Iterator[dramatiq.Worker]:
    """One worker thread on the broker, stopped after the test."""
    worker = dramatiq.Worker(broker, worker_timeout=50, worker_threads=1)
    worker.start()
    yield worker
    worker.stop()
