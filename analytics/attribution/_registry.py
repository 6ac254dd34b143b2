"""Model names, their batch functions, and turning caller data into the right table."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from analytics.attribution._result import BatchModel
from analytics.attribution._table import PathTable, table_from_journeys, table_from_paths
from analytics.attribution.markov import markov_batch
from analytics.attribution.paths import PathKey, is_journeys, journeys_to_paths
from analytics.attribution.rules import (
    first_touch_batch,
    last_touch_batch,
    linear_batch,
    position_based_batch,
    time_decay_batch,
)
from analytics.attribution.shapley import shapley_batch


@dataclass(frozen=True)
class _Model:
    batch: BatchModel
    needs_times: bool = False

    @property
    def params(self) -> tuple[str, ...]:
        signature = inspect.signature(self.batch).parameters.values()
        return tuple(p.name for p in signature if p.kind is inspect.Parameter.KEYWORD_ONLY)


_MODELS = {
    "first_touch": _Model(first_touch_batch),
    "last_touch": _Model(last_touch_batch),
    "linear": _Model(linear_batch),
    "time_decay": _Model(time_decay_batch, needs_times=True),
    "position_based": _Model(position_based_batch),
    "markov": _Model(markov_batch),
    "shapley": _Model(shapley_batch),
}
MODEL_NAMES = tuple(_MODELS)


def resolve(model: str, params: Mapping[str, object]) -> BatchModel:
    if model not in _MODELS:
        raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODEL_NAMES)}")
    accepted = _MODELS[model].params
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise ValueError(
            f"model {model!r} has no parameter {', '.join(unknown)}; "
            f"it accepts: {', '.join(accepted) or 'no parameters'}"
        )
    return _MODELS[model].batch


class Tables:
    # builds each table the caller's data needs once, however many models use it

    def __init__(self, data: pl.DataFrame, *, key: PathKey | None) -> None:
        self.journeys = is_journeys(data)
        if not self.journeys and key is not None:
            raise ValueError(
                "key applies to journeys only: aggregated paths already hold their steps; "
                "pass journeys with key='campaign', or drop key"
            )
        self._data = data
        self._key: PathKey = key or "channel"
        self._cache: dict[bool, PathTable] = {}

    def supports(self, model: str) -> bool:
        return self.journeys or not _MODELS[model].needs_times

    def for_model(self, model: str) -> PathTable:
        needs_times = _MODELS[model].needs_times
        if needs_times and not self.journeys:
            raise ValueError(
                f"{model} needs each touch's time before conversion: pass journeys from "
                "build_journeys instead of aggregated paths"
            )
        if needs_times not in self._cache:
            if needs_times:
                table = table_from_journeys(self._data, key=self._key)
            elif self.journeys:
                table = table_from_paths(journeys_to_paths(self._data, key=self._key))
            else:
                table = table_from_paths(self._data)
            self._cache[needs_times] = table
        return self._cache[needs_times]
