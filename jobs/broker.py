"""The one Dramatiq broker of the process, chosen from the settings at first import.

With ``MAILSCOPE_BROKER_URL`` set: Redis, consumed by ``mailscope worker`` processes.
Without: an in-memory ``StubBroker`` consumed by worker threads inside the serving
process (``jobs.embedded``); the ``job_run`` table makes that mode durable, since every
unfinished row is re-enqueued when the embedded workers start.
"""

from __future__ import annotations

from typing import TypedDict

import dramatiq
from dramatiq.brokers.stub import StubBroker

from server.settings import get_settings

QUEUE = "default"


class RetryOptions(TypedDict):
    """Dramatiq's retry options of an actor (milliseconds), typed for ``actor(**options)``."""

    max_retries: int
    min_backoff: int
    max_backoff: int


def _build() -> dramatiq.Broker:
    url = get_settings().broker_url
    if url:
        from dramatiq.brokers.redis import RedisBroker

        return RedisBroker(url=url)
    return StubBroker()


broker: dramatiq.Broker = _build()
dramatiq.set_broker(broker)


# Job ids whose message this process already sent, so the embedded poller does not send
# a second one for a row it sees still queued.
ENQUEUED: set[int] = set()


def is_embedded() -> bool:
    return isinstance(broker, StubBroker)
