"""Metric targets: defaults from the metric table, validated overrides."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from analytics.metrics.definitions import METRIC_NAMES, METRICS, metric

DEFAULT_WARNING_BAND = 0.10


def _default_values() -> Mapping[str, float | None]:
    return {definition.name: definition.default_target for definition in METRICS}


def _check_number(name: str, value: object, low: float, high: float) -> float:
    allowed = f"between {low:g} and {high:g}" if math.isfinite(high) else f"at least {low:g}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"target for {name} must be a number {allowed}; got {value!r}")
    number = float(value)
    if not (math.isfinite(number) and low <= number <= high):
        raise ValueError(f"target for {name} must be {allowed}; got {value!r}")
    return number


@dataclass(frozen=True)
class Targets:
    """Target value per metric name (``None``: no target) and the warning band.

    A metric that misses its target by at most ``warning_band`` (a share of the target, 10% by
    default) is a *warning*; further away it is *bad*. Shares (rates) take targets in
    [0, 1]; money metrics take any non-negative amount. Metric names absent from
    ``values`` have no target; ``Targets()`` holds the defaults of the metric table.
    """

    values: Mapping[str, float | None] = field(default_factory=_default_values)
    warning_band: float = DEFAULT_WARNING_BAND

    def __post_init__(self) -> None:
        checked: dict[str, float | None] = {}
        for name, value in self.values.items():
            definition = metric(name)
            low, high = definition.target_range
            checked[name] = None if value is None else _check_number(name, value, low, high)
        band = _check_warning_band(self.warning_band)
        object.__setattr__(self, "values", MappingProxyType(checked))
        object.__setattr__(self, "warning_band", band)

    def __hash__(self) -> int:
        return hash((tuple(sorted(self.values.items())), self.warning_band))

    @classmethod
    def from_dict(cls, overrides: Mapping[str, object]) -> Targets:
        """The default targets with ``overrides`` applied.

        Keys are metric names or ``"warning_band"``; a ``None`` value removes a target.
        Unknown names and out-of-range values raise ValueError naming the metric and the
        allowed range.
        """
        values: dict[str, object] = dict(_default_values())
        band: object = DEFAULT_WARNING_BAND
        for name, value in overrides.items():
            if name == "warning_band":
                band = value
            elif name in METRIC_NAMES:
                values[name] = value
            else:
                raise ValueError(
                    f"unknown target {name!r}; choose one of "
                    f"{', '.join(METRIC_NAMES)} or warning_band"
                )
        return cls(values=values, warning_band=band)  # type: ignore[arg-type]

    def target(self, name: str) -> float | None:
        """The target for metric ``name`` (``None`` when it has none)."""
        metric(name)
        return self.values.get(name)


def _check_warning_band(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
        raise ValueError(
            f"warning_band must be a number from 0 up to (not including) 1; got {value!r}"
        )
    return float(value)
