"""One entry point for every model, and a side-by-side comparison of several."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from analytics.attribution._registry import MODEL_NAMES, Tables, resolve
from analytics.attribution._result import run_model
from analytics.attribution.paths import PathKey
from analytics.attribution.schemas import COMPARISON_SCHEMA


@dataclass(frozen=True)
class ModelSpec:
    """A model with parameters, labelled in ``compare_models`` output (default: name)."""

    model: str
    params: Mapping[str, Any] = field(default_factory=dict)
    label: str | None = None


def attribute(
    data: pl.DataFrame, model: str, *, key: PathKey | None = None, **params: Any
) -> pl.DataFrame:
    """Run ``model`` (one of ``MODEL_NAMES``) with ``params`` on aggregated paths or on
    journeys (``ATTRIBUTION_SCHEMA``). ``key`` ("channel" or "campaign") picks the path
    steps of journeys; ``time_decay`` needs journeys."""
    batch = resolve(model, params)
    return run_model(batch, Tables(data, key=key).for_model(model), **params)


def compare_models(
    data: pl.DataFrame,
    models: Sequence[str | ModelSpec] | None = None,
    *,
    key: PathKey | None = None,
) -> pl.DataFrame:
    """Run several models on the same data and stack the results (``COMPARISON_SCHEMA``),
    in the given model order, keys sorted within each model. By default every model the
    data supports: all seven for journeys, all but ``time_decay`` for aggregated paths."""
    tables = Tables(data, key=key)
    chosen = models if models is not None else [m for m in MODEL_NAMES if tables.supports(m)]
    specs = [spec if isinstance(spec, ModelSpec) else ModelSpec(spec) for spec in chosen]
    labels = [spec.label or spec.model for spec in specs]
    if len(set(labels)) < len(labels):
        raise ValueError(f"model labels repeat in {labels}; give ModelSpec labels to tell apart")
    frames = [
        run_model(
            resolve(spec.model, spec.params), tables.for_model(spec.model), **spec.params
        ).select(pl.lit(label).alias("model"), pl.all())
        for spec, label in zip(specs, labels, strict=True)
    ]
    if not frames:
        return pl.DataFrame(schema=COMPARISON_SCHEMA)
    return pl.concat(frames)
