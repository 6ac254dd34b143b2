"""Every Dramatiq actor. Importing this package declares them all on the broker: the
worker (``dramatiq jobs.actors``) and the embedded workers import it; callers that only
enqueue use ``jobs.send``, which names actors without importing them."""

from jobs.actors import (
    budget_alerts,
    experiment_webhook,
    predictions,
    report_rollups,
    retention,
    rollups,
    segments,
    triggers,
    variants,
    webhook_fold,
)

__all__ = ["budget_alerts", "experiment_webhook", "predictions", "report_rollups",
           "retention", "rollups", "segments", "triggers", "variants", "webhook_fold"]
