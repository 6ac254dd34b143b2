"""The one Dramatiq broker of the process, chosen from the settings at first import.

With ``MAILSCOPE_BROKER_URL`` set: Redis, consumed by ``mailscope worker`` processes.
Without: an in-memory ``StubBroker`` consumed by worker threads inside the serving
process (``jobs.embedded``); the ``job_run`` table makes that mode durable, since every
unfinished row is re-enqueued when the embedded workers start. With Redis, the jobs of a
worker killed mid-job go back to the queue once it has been silent for
``MAILSCOPE_WORKER_HEARTBEAT_TIMEOUT_S`` (see ``_build``).
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
    settings = get_settings()
    if settings.broker_url:
        from dramatiq.brokers.redis import MAINTENANCE_SCALE, RedisBroker

        # A message taken by a worker stays in that worker's Redis set until it is acked;
        # when the worker falls silent for the heartbeat timeout (it was killed), a
        # "maintenance" pass of any other process puts the message back on the queue.
        # Dramatiq runs that pass on one broker command in a thousand; an idle worker polls
        # a queue about once a second, so a dead worker was noticed some 14 minutes after
        # the timeout on average. Here every command runs it, which costs two sorted-set
        # range reads while no worker is dead.
        return RedisBroker(url=settings.broker_url,
                           heartbeat_timeout=round(settings.worker_heartbeat_timeout_s * 1000),
                           maintenance_chance=MAINTENANCE_SCALE)
    return StubBroker()


broker: dramatiq.Broker = _build()
dramatiq.set_broker(broker)


# Job ids whose message this process already sent, so the embedded poller does not send
# a second one for a row it sees still queued.
ENQUEUED: set[int] = set()


def is_embedded() -> bool:
    return isinstance(broker, StubBroker)
