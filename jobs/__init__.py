"""Background jobs: Dramatiq actors whose runs are recorded in ``job_run``.

``jobs.send(actor_name, **args)`` is the one entry point for callers (API, web, CLI).
"""

from jobs.broker import broker
from jobs.send import ACTORS, send

__all__ = ["ACTORS", "broker", "send"]
