"""After a batch of behaviour is stored: a job decides the triggers' occasions for the
customers it names (presence sequences fire now; absence sequences fall due later and
the sweep, ``mailscope triggers sweep``, decides them)."""

from __future__ import annotations

import polars as pl
from sqlalchemy import Engine, text

from jobs.send import send

BATCH_KINDS = ("behavior",)
"""Imported kinds whose batches are evaluated against the triggers."""


def evaluate_batch(engine: Engine, staged: pl.DataFrame) -> int | None:
    """Enqueue ``evaluate_triggers`` for the customers of ``staged`` when any trigger is
    enabled; returns the job id (None when there is nothing to evaluate)."""
    with engine.connect() as connection:
        enabled = connection.execute(text(
            "SELECT 1 FROM trigger_definition WHERE enabled LIMIT 1")).first()
    if enabled is None or "customer_id" not in staged.columns:
        return None
    customer_ids = sorted(staged["customer_id"].drop_nulls().unique().to_list())
    return send("evaluate_triggers", customer_ids=customer_ids) if customer_ids else None
