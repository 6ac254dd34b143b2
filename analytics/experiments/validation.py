"""Input checks whose ValueError messages name the field, the variant and the fix."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from numbers import Integral, Real
from typing import Any

from analytics.experiments.summaries import MeanSummary, ProportionSummary, RatioSummary

# Raw inputs may be the summary dataclasses or plain JSON-like mappings.
RawVariant = ProportionSummary | MeanSummary | RatioSummary | Mapping[str, Any]


def _get(item: RawVariant, key: str, where: str, name: str) -> Any:
    if isinstance(item, Mapping):
        if key not in item:
            raise ValueError(f"{where} has no '{key}' for variant '{name}': add '{key}'")
        return item[key]
    if not hasattr(item, key):
        raise ValueError(f"{where} has no '{key}' for variant '{name}': add '{key}'")
    return getattr(item, key)


def _name(item: RawVariant, where: str) -> str:
    name = item.get("name") if isinstance(item, Mapping) else getattr(item, "name", None)
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{where}.name={name!r} is not a name: give each variant a non-empty "
                         "string name")
    return name


def _count(item: RawVariant, key: str, where: str, name: str, *, minimum: int) -> int:
    value = _get(item, key, where, name)
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{where}.{key}={value!r} for variant '{name}' is not a whole number: "
                         f"{key} must be an integer count")
    if value < minimum:
        raise ValueError(f"{where}.{key}={value} for variant '{name}' is below {minimum}: "
                         f"{key} must be at least {minimum}")
    return int(value)


def _real(item: RawVariant, key: str, where: str, name: str) -> float:
    value = _get(item, key, where, name)
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ValueError(f"{where}.{key}={value!r} for variant '{name}' is not a finite number: "
                         f"{key} must be a finite number")
    return float(value)


def _at_least_square(item_sum: float, item_sum_squares: float, n: int) -> bool:
    # Cauchy–Schwarz: sum(x²) >= sum(x)² / n; allow rounding in the caller's sums.
    bound = item_sum * item_sum / n
    return item_sum_squares >= bound - 1e-9 * max(1.0, abs(bound))


def _sequence(raw: Sequence[RawVariant], field: str, minimum: int) -> Sequence[RawVariant]:
    if isinstance(raw, str | bytes | Mapping) or not isinstance(raw, Sequence):
        raise ValueError(f"{field} must be a list of variant summaries, got "
                         f"{type(raw).__name__}")
    if len(raw) < minimum:
        raise ValueError(f"{field} has {len(raw)} variant(s): give at least {minimum} "
                         "(the control first, then each treatment)")
    return raw


def _unique(names: list[str], field: str) -> None:
    seen: set[str] = set()
    for index, name in enumerate(names):
        if name in seen:
            raise ValueError(f"{field}[{index}].name='{name}' repeats an earlier variant: "
                             "give every variant a distinct name")
        seen.add(name)


def proportion_summaries(raw: Sequence[RawVariant], *, field: str = "variants",
                         minimum: int = 2) -> tuple[ProportionSummary, ...]:
    """Validate ``raw`` as (name, n, conversions) variants and return the summaries."""
    out = []
    for index, item in enumerate(_sequence(raw, field, minimum)):
        where = f"{field}[{index}]"
        name = _name(item, where)
        n = _count(item, "n", where, name, minimum=1)
        conversions = _get(item, "conversions", where, name)
        if (isinstance(conversions, Integral) and not isinstance(conversions, bool)
                and int(conversions) > n):
            raise ValueError(f"{where}.conversions={conversions} exceeds n={n} for variant "
                             f"'{name}': conversions must be between 0 and n")
        conversions = _count(item, "conversions", where, name, minimum=0)
        out.append(ProportionSummary(name=name, n=n, conversions=conversions))
    _unique([s.name for s in out], field)
    return tuple(out)


def mean_summaries(raw: Sequence[RawVariant], *, field: str = "variants",
                   minimum: int = 2) -> tuple[MeanSummary, ...]:
    """Validate ``raw`` as (name, n, sum, sum_squares) variants and return the summaries."""
    out = []
    for index, item in enumerate(_sequence(raw, field, minimum)):
        where = f"{field}[{index}]"
        name = _name(item, where)
        n = _count(item, "n", where, name, minimum=2)
        total = _real(item, "sum", where, name)
        squares = _real(item, "sum_squares", where, name)
        if not _at_least_square(total, squares, n):
            raise ValueError(f"{where}.sum_squares={squares} is below sum²/n={total * total / n}"
                             f" for variant '{name}': sum_squares must be the sum of each "
                             "recipient's value squared")
        out.append(MeanSummary(name=name, n=n, sum=total, sum_squares=squares))
    _unique([s.name for s in out], field)
    return tuple(out)


def ratio_summaries(raw: Sequence[RawVariant], *, field: str = "variants",
                    minimum: int = 2) -> tuple[RatioSummary, ...]:
    """Validate ``raw`` as ratio-metric variants (n and the five sums) and return them."""
    out = []
    for index, item in enumerate(_sequence(raw, field, minimum)):
        where = f"{field}[{index}]"
        name = _name(item, where)
        n = _count(item, "n", where, name, minimum=2)
        sums = {key: _real(item, key, where, name)
                for key in ("sum_x", "sum_y", "sum_x2", "sum_y2", "sum_xy")}
        if sums["sum_y"] <= 0:
            raise ValueError(f"{where}.sum_y={sums['sum_y']} for variant '{name}' is not "
                             "positive: the ratio needs a positive denominator total")
        for total, squares in (("sum_x", "sum_x2"), ("sum_y", "sum_y2")):
            if not _at_least_square(sums[total], sums[squares], n):
                raise ValueError(f"{where}.{squares}={sums[squares]} is below {total}²/n for "
                                 f"variant '{name}': {squares} must be the sum of squares")
        out.append(RatioSummary(name=name, n=n, **sums))
    _unique([s.name for s in out], field)
    return tuple(out)


def control_index(names: Sequence[str], control: str | None, *,
                  field: str = "control") -> int:
    """Position of the control variant; the first variant when ``control`` is None."""
    if control is None:
        return 0
    if control not in names:
        listed = ", ".join(f"'{n}'" for n in names)
        raise ValueError(f"{field}='{control}' is not a variant: use one of {listed}")
    return list(names).index(control)


def check_alpha(alpha: float, *, field: str = "alpha") -> float:
    """Raise unless ``alpha`` is a probability strictly between 0 and 1."""
    if isinstance(alpha, bool) or not isinstance(alpha, Real) or not 0 < alpha < 1:
        raise ValueError(f"{field}={alpha!r} is not a probability: use a number between 0 and "
                         "1, such as 0.05")
    return float(alpha)


def check_choice(value: str, choices: Sequence[str], *, field: str) -> str:
    """Raise unless ``value`` is one of ``choices``."""
    if value not in choices:
        listed = ", ".join(f"'{c}'" for c in choices)
        raise ValueError(f"{field}={value!r} is not supported: use one of {listed}")
    return value


def cumulative_looks(looks: Sequence[Sequence[RawVariant]], *, metric: str,
                     field: str = "looks") -> tuple[tuple[ProportionSummary | MeanSummary, ...],
                                                    ...]:
    """Validate cumulative looks (oldest first): same variants each time, never shrinking."""
    if isinstance(looks, str | bytes | Mapping) or not isinstance(looks, Sequence) or not looks:
        raise ValueError(f"{field} must be a non-empty list of looks, each a list of variant "
                         "summaries in time order")
    parsed: list[tuple[ProportionSummary | MeanSummary, ...]] = []
    for t, look in enumerate(looks):
        current: tuple[ProportionSummary | MeanSummary, ...] = (
            proportion_summaries(look, field=f"{field}[{t}]") if metric == "proportion"
            else mean_summaries(look, field=f"{field}[{t}]"))
        if parsed:
            previous = parsed[-1]
            names = [s.name for s in previous]
            if [s.name for s in current] != names:
                raise ValueError(f"{field}[{t}] has variants {[s.name for s in current]} but "
                                 f"{field}[{t - 1}] has {names}: every look must list the same "
                                 "variants in the same order")
            for i, (before, now) in enumerate(zip(previous, current, strict=True)):
                if now.n < before.n:
                    raise ValueError(f"{field}[{t}][{i}].n={now.n} is below n={before.n} at the "
                                     f"previous look for variant '{now.name}': looks must be "
                                     "cumulative totals in time order")
                if (isinstance(now, ProportionSummary) and isinstance(before, ProportionSummary)
                        and now.conversions < before.conversions):
                    raise ValueError(f"{field}[{t}][{i}].conversions={now.conversions} is below "
                                     f"{before.conversions} at the previous look for variant "
                                     f"'{now.name}': looks must be cumulative totals")
        parsed.append(current)
    return tuple(parsed)
