"""Every Dramatiq actor. Importing this package declares them all on the broker: the
worker (``dramatiq jobs.actors``) and the embedded workers import it; callers that only
enqueue use ``jobs.send``, which names actors without importing them."""

from jobs.actors import experiment_webhook, predictions, report_rollups, rollups

__all__ = ["experiment_webhook", "predictions", "report_rollups", "rollups"]
