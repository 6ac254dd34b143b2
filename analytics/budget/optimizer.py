"""Allocate a budget across categories to maximise predicted revenue, profit or
conversions on their steady-state response curves.

The solver is scipy's SLSQP on shares of the total (``x = spend / total``, so every
variable lives in [0, 1] whatever the currency) with analytic gradients, started from a
symmetric fill of the bounds and from a fill weighted by the curves' ceilings; the best
start wins and ties go to the symmetric one. Categories are solved in name order, so the
answer does not depend on the order they were given in.

Feasibility is checked before solving and refused with ``Infeasible`` naming the
constraint: the minimums above the total, the maximums below it (money would be left
unspent), a fixed amount above its category's maximum, a CLV:CAC floor no spend in the
bounds meets, a target no allocation reaches. A curve is not trusted past the highest
spend it was fitted on: that spend is a further maximum (bound ``history``) whenever the
total can be spent within such maxima, and a warning says so when it cannot.

With an ROI or CPA target, ``total`` becomes a ceiling: the plan spends the largest
amount (found by bisection on the total, solving the allocation at each) whose optimal
allocation still meets the target, so the target is met with the most revenue it allows;
what is not spent is reported as ``held_back`` with the reason, never silently.

Every plan carries its evidence: marginal ROI per category, which bounds bind, and
whether the Karush-Kuhn-Tucker conditions hold (equal marginal value, within
``tolerance``, across the categories strictly inside their bounds; lower for those at
their minimum, higher for those at their maximum). With three categories or fewer, a
grid search over the feasible allocations is run too and its best value reported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

from analytics.budget.curves import HillCurve

Floats = NDArray[np.float64]
Objective = Literal["revenue", "profit", "conversions"]
OBJECTIVES: tuple[str, ...] = ("revenue", "profit", "conversions")
DEFAULT_MIN_SHARE = 0.05
DEFAULT_MAX_SHARE = 0.40
KKT_TOLERANCE = 1e-3
GRID_STEPS = 200
GRID_MAX_CATEGORIES = 3


class Infeasible(ValueError):
    """No allocation satisfies the constraints; ``constraint`` names which one (``total``,
    ``min_shares``, ``max_shares``, ``fixed_above_max``, ``fixed_total``, ``clv_floor``,
    ``target``, ``categories``) and ``category`` the category when one is to blame."""

    def __init__(self, constraint: str, message: str, category: str | None = None) -> None:
        super().__init__(message)
        self.constraint = constraint
        self.category = category
        self.message = message


@dataclass(frozen=True)
class Response:
    """A category's steady-state response, its bootstrap draws and revenue per
    conversion (``None``: unknown, the plan's average is used). ``max_trusted`` is the
    highest spend the curve was fitted on: the plan stays at or below it whenever the
    total allows (bound ``history``), as a curve extrapolated past its data is a guess."""

    category: str
    curve: HillCurve
    revenue_per_conversion: float | None = None
    samples: tuple[HillCurve, ...] = ()
    current_spend: float = 0.0
    acquisition: bool = False
    max_trusted: float | None = None


@dataclass(frozen=True)
class Limits:
    """One category's own bounds; ``None`` falls back to the problem's defaults."""

    min_share: float | None = None
    max_share: float | None = None
    fixed: float | None = None


@dataclass(frozen=True)
class Problem:
    """What to allocate and under which constraints (shares are fractions of ``total``;
    ``roi_target`` is a percentage)."""

    total: float
    objective: Objective = "revenue"
    min_share: float = DEFAULT_MIN_SHARE
    max_share: float = DEFAULT_MAX_SHARE
    limits: Mapping[str, Limits] = field(default_factory=dict)
    roi_target: float | None = None
    cpa_target: float | None = None
    clv: float | None = None
    clv_cac_floor: float | None = None
    tolerance: float = KKT_TOLERANCE


@dataclass(frozen=True)
class Line:
    """One category in a plan."""

    category: str
    spend: float
    share: float
    revenue: float
    conversions: float
    marginal_roi: float
    bound: str | None
    current_spend: float
    current_revenue: float


@dataclass(frozen=True)
class Evidence:
    """Why the plan is optimal: KKT conditions and, for small problems, a grid check."""

    kkt_satisfied: bool
    marginal_spread: float
    free_categories: tuple[str, ...]
    binding: tuple[tuple[str, str], ...]
    grid_revenue: float | None
    grid_objective: float | None


@dataclass(frozen=True)
class Plan:
    """An allocation, its predicted effect with a 90% interval, and the current plan."""

    lines: tuple[Line, ...]
    objective: str
    total: float
    spent: float
    held_back: float
    held_back_reason: str | None
    revenue: float
    revenue_lower: float
    revenue_upper: float
    conversions: float
    profit: float
    roi_percent: float | None
    cpa: float | None
    current_spend: float
    current_revenue: float
    evidence: Evidence
    warnings: tuple[str, ...] = ()

    def line(self, category: str) -> Line:
        return next(line for line in self.lines if line.category == category)


def _per_conversion(responses: Sequence[Response]) -> Floats:
    known = [r.revenue_per_conversion for r in responses
             if r.revenue_per_conversion is not None and r.revenue_per_conversion > 0]
    average = float(np.mean(known)) if known else 1.0
    return np.array([r.revenue_per_conversion if r.revenue_per_conversion is not None
                     and r.revenue_per_conversion > 0 else average for r in responses])


@dataclass(frozen=True)
class _Arrays:
    """The curves' parameters side by side, so a whole allocation is evaluated at once."""

    top: Floats
    half: Floats
    shape: Floats

    @classmethod
    def of(cls, responses: Sequence[Response]) -> _Arrays:
        return cls(np.array([r.curve.top for r in responses], dtype=np.float64),
                   np.array([r.curve.half for r in responses], dtype=np.float64),
                   np.array([r.curve.shape for r in responses], dtype=np.float64))

    def revenue(self, spend: Floats) -> Floats:
        x = np.power(np.maximum(spend, 0.0) / self.half, self.shape)
        return np.asarray(self.top * x / (1.0 + x), dtype=np.float64)

    def marginal(self, spend: Floats) -> Floats:
        s = np.maximum(spend, 1e-12 * self.half)
        x = np.power(s / self.half, self.shape)
        return np.asarray(self.top * self.shape * x / (s * (1.0 + x) ** 2), dtype=np.float64)


def _revenues(responses: Sequence[Response], spend: Floats) -> Floats:
    return _Arrays.of(responses).revenue(np.asarray(spend, dtype=np.float64))


def _marginals(responses: Sequence[Response], spend: Floats) -> Floats:
    return _Arrays.of(responses).marginal(np.asarray(spend, dtype=np.float64))


def _bounds(responses: Sequence[Response], problem: Problem) -> tuple[Floats, Floats]:
    total = problem.total
    lo, hi = [], []
    for r in responses:
        own = problem.limits.get(r.category, Limits())
        min_share = problem.min_share if own.min_share is None else own.min_share
        max_share = problem.max_share if own.max_share is None else own.max_share
        if not 0 <= min_share <= max_share <= 1:
            raise Infeasible("min_shares", f"{r.category}: minimum share {min_share:g} and "
                             f"maximum share {max_share:g} must satisfy 0 <= min <= max <= 1",
                             r.category)
        if own.fixed is not None:
            if own.fixed < 0:
                raise Infeasible("fixed_above_max", f"{r.category}: fixed amount "
                                 f"{own.fixed:,.2f} is negative; give an amount >= 0",
                                 r.category)
            if own.fixed > max_share * total + 1e-9 * total:
                raise Infeasible("fixed_above_max", f"{r.category}: fixed amount "
                                 f"{own.fixed:,.2f} is above its maximum "
                                 f"{max_share * total:,.2f} ({max_share:.0%} of "
                                 f"{total:,.2f}); lower it or raise the maximum share",
                                 r.category)
            lo.append(own.fixed)
            hi.append(own.fixed)
        else:
            lo.append(min_share * total)
            hi.append(max_share * total)
    return np.array(lo), np.array(hi)


def _check_totals(responses: Sequence[Response], lo: Floats, hi: Floats, total: float,
                  fixed: Sequence[bool]) -> None:
    if lo.sum() > total * (1 + 1e-9):
        if all(fixed):
            raise Infeasible("fixed_total", f"the fixed amounts add up to {lo.sum():,.2f}, "
                             f"above the total {total:,.2f}; lower them or raise the total")
        raise Infeasible("min_shares", f"the minimums add up to {lo.sum():,.2f}, above the "
                         f"total {total:,.2f}; lower the minimum shares or fixed amounts, "
                         "or raise the total")
    if hi.sum() < total * (1 - 1e-9):
        raise Infeasible("max_shares", f"the maximums add up to {hi.sum():,.2f}, below the "
                         f"total {total:,.2f}, so {total - hi.sum():,.2f} could not be spent; "
                         "raise the maximum shares, add categories or lower the total")


def _clv_window(response: Response, lo: float, hi: float, per_conversion: float,
                clv: float, floor: float) -> tuple[float, float] | None:
    """The spends in [lo, hi] whose CLV:CAC is at least ``floor`` (an interval, as
    revenue per unit of spend is unimodal on a Hill curve), or None."""
    if hi <= 0:
        return (lo, hi)
    def meets(s: float) -> bool:
        return float(response.curve.revenue(s)) / per_conversion * clv >= floor * s

    def edge(inside: float, outside: float) -> float:
        for _ in range(60):
            mid = (inside + outside) / 2
            inside, outside = (mid, outside) if meets(mid) else (inside, mid)
        return inside

    grid = np.linspace(max(lo, hi * 1e-9), hi, 2001)
    ratio = response.curve.revenue(grid) / per_conversion * clv / grid
    ok = np.flatnonzero(ratio >= floor)
    if not len(ok):
        return None
    first = lo if ok[0] == 0 else edge(float(grid[ok[0]]), float(grid[ok[0] - 1]))
    last = hi if ok[-1] == len(grid) - 1 else edge(float(grid[ok[-1]]),
                                                    float(grid[ok[-1] + 1]))
    return first, last


def _project(v: Floats, lo: Floats, hi: Floats, total: float) -> Floats:
    """The point ``clip(v + t, lo, hi)`` summing to ``total`` (bisection on ``t``)."""
    low, high = float((lo - v).min()) - 1.0, float((hi - v).max()) + 1.0
    for _ in range(200):
        mid = (low + high) / 2
        if np.clip(v + mid, lo, hi).sum() < total:
            low = mid
        else:
            high = mid
    x = np.clip(v + (low + high) / 2, lo, hi)
    # The last rounding error goes to the category with the most room, so the sum is exact.
    gap = total - x.sum()
    room = (hi - x) if gap > 0 else (x - lo)
    x[int(np.argmax(room))] += gap
    return x


def _fill(lo: Floats, hi: Floats, total: float, weight: Floats) -> Floats:
    """Minimums plus the rest spread by ``weight`` over the room each category has."""
    room = hi - lo
    if room.sum() <= 0:
        return lo.copy()
    w = weight * room
    return _project(lo + (total - lo.sum()) * w / max(w.sum(), 1e-300), lo, hi, total)


def _solve(responses: Sequence[Response], lo: Floats, hi: Floats, total: float,
           weights: Floats, penalty: float) -> Floats:
    """Spend maximising ``sum(w * R(s)) - penalty * sum(s)`` with ``sum(s) = total``."""
    if (hi - lo).sum() <= 1e-12 * max(total, 1.0) or total <= 0:
        return _project(lo.copy(), lo, hi, total)
    scale = max(total, 1e-12)
    curves = _Arrays.of(responses)

    def value(x: Floats) -> float:
        s = x * scale
        return float(np.dot(weights, curves.revenue(s)) - penalty * s.sum())

    starts = [_fill(lo, hi, total, np.ones(len(lo))),
              _fill(lo, hi, total, np.array([max(r.curve.top, 1e-12) for r in responses]))]
    if bool(np.all(curves.shape <= 1.0)):
        # Concave curves: equal marginal value can be found exactly by water-filling,
        # which SLSQP then only confirms; steep curves (shape < 1 near zero spend) leave
        # SLSQP short of the tolerance otherwise.
        # It goes first, so it wins every tie.
        starts.insert(0, _waterfill(curves, lo, hi, total, weights, penalty))
    norm = max(abs(value(starts[0] / scale)), 1e-9)

    def fun(x: Floats) -> float:
        return -value(x) / norm

    def jac(x: Floats) -> Floats:
        s = x * scale
        return np.asarray(-(weights * curves.marginal(s) - penalty) * scale / norm)

    best: tuple[float, Floats] | None = None
    for start in starts:
        solved = minimize(fun, start / scale, jac=jac, method="SLSQP",
                          bounds=list(zip(lo / scale, hi / scale, strict=True)),
                          constraints=[{"type": "eq", "fun": lambda x: x.sum() - 1.0,
                                        "jac": lambda x: np.ones_like(x)}],
                          options={"ftol": 1e-12, "maxiter": 500})
        x = _project(np.asarray(solved.x) * scale, lo, hi, total)
        got = value(x / scale)
        if best is None or got > best[0] + 1e-10 * max(abs(best[0]), 1.0):
            best = (got, x)
    assert best is not None
    return best[1]


def _waterfill(curves: _Arrays, lo: Floats, hi: Floats, total: float, weights: Floats,
               penalty: float) -> Floats:
    """For concave curves: the spend where every category not at a bound has the same
    marginal value ``w * R'(s) - penalty`` (bisection on that value, and per category on
    the spend giving it), summing to ``total``."""

    def spend_at(level: float) -> Floats:
        low, high = lo.copy(), hi.copy()
        for _ in range(60):
            mid = (low + high) / 2
            above = weights * curves.marginal(mid) - penalty > level
            low = np.where(above, mid, low)
            high = np.where(above, high, mid)
        return (low + high) / 2

    values = np.concatenate([weights * curves.marginal(lo), weights * curves.marginal(hi)])
    values = values - penalty
    bottom, top = float(values.min()) - 1.0, float(values.max()) + 1.0
    for _ in range(80):
        mid = (bottom + top) / 2
        if spend_at(mid).sum() > total:
            bottom = mid
        else:
            top = mid
    return _project(spend_at((bottom + top) / 2), lo, hi, total)


def _grid(responses: Sequence[Response], lo: Floats, hi: Floats, total: float,
          weights: Floats, penalty: float) -> float | None:
    n = len(responses)
    if n > GRID_MAX_CATEGORIES or n == 0:
        return None
    if n == 1:
        return float(weights[0] * responses[0].curve.revenue(total) - penalty * total)
    axes = [np.linspace(lo[i], hi[i], GRID_STEPS + 1) for i in range(n - 1)]
    mesh = np.meshgrid(*axes, indexing="ij")
    parts = [m.ravel() for m in mesh]
    last = total - np.sum(parts, axis=0)
    ok = (last >= lo[-1] - 1e-9 * total) & (last <= hi[-1] + 1e-9 * total)
    if not ok.any():
        return None
    spends = [p[ok] for p in parts] + [last[ok]]
    values = sum(weights[i] * responses[i].curve.revenue(spends[i]) for i in range(n))
    return float(np.max(values) - penalty * total)


@dataclass(frozen=True)
class _Setup:
    responses: tuple[Response, ...]
    lo: Floats
    hi: Floats
    fixed: tuple[bool, ...]
    clv_capped: tuple[bool, ...]
    history_capped: tuple[bool, ...]
    warnings: tuple[str, ...]
    weights: Floats
    penalty: float
    per_conversion: Floats


def _setup(responses: Sequence[Response], problem: Problem) -> _Setup:
    if not responses:
        raise Infeasible("categories", "no categories to allocate; give at least one "
                         "category with history")
    names = [r.category for r in responses]
    if len(set(names)) != len(names):
        repeated = sorted({n for n in names if names.count(n) > 1})
        raise Infeasible("categories", f"categories repeated: {', '.join(repeated)}; give "
                         "each once", repeated[0])
    unknown = sorted(set(problem.limits) - set(names))
    if unknown:
        raise Infeasible("categories", f"limits name unknown categories: "
                         f"{', '.join(unknown)}; use one of {', '.join(sorted(names))}",
                         unknown[0])
    if problem.objective not in OBJECTIVES:
        raise Infeasible("objective", f"objective {problem.objective!r} unknown; use one of "
                         f"{', '.join(OBJECTIVES)}")
    if not problem.total > 0 or not np.isfinite(problem.total):
        raise Infeasible("total", f"total must be a positive amount, got {problem.total}")
    ordered = tuple(sorted(responses, key=lambda r: r.category))
    lo, hi = _bounds(ordered, problem)
    fixed = tuple(problem.limits.get(r.category, Limits()).fixed is not None for r in ordered)
    per_conversion = _per_conversion(ordered)
    capped = [False] * len(ordered)
    if problem.clv_cac_floor is not None:
        if problem.clv is None or problem.clv <= 0:
            raise Infeasible("clv_floor", "clvCacFloor needs clv, the value of a customer "
                             "(> 0)")
        for i, r in enumerate(ordered):
            if not r.acquisition:
                continue
            window = _clv_window(r, lo[i], hi[i], per_conversion[i], problem.clv,
                                 problem.clv_cac_floor)
            if window is None:
                raise Infeasible("clv_floor", f"{r.category}: no spend between "
                                 f"{lo[i]:,.2f} and {hi[i]:,.2f} keeps CLV:CAC at "
                                 f"{problem.clv_cac_floor:g} or more; lower the floor or "
                                 "its minimum share", r.category)
            capped[i] = window[1] < hi[i] - 1e-9 * problem.total
            lo[i], hi[i] = window
    history, warnings = _trusted(ordered, lo, hi, problem.total)
    weights = 1.0 / per_conversion if problem.objective == "conversions" else np.ones(len(lo))
    penalty = 1.0 if problem.objective == "profit" else 0.0
    return _Setup(ordered, lo, hi, fixed, tuple(capped), history, warnings, weights, penalty,
                  per_conversion)


def _trusted(responses: Sequence[Response], lo: Floats, hi: Floats,
             total: float) -> tuple[tuple[bool, ...], tuple[str, ...]]:
    """Lower ``hi`` (in place) to each curve's trusted spend when the total still fits;
    which categories it capped, and a warning when it could not."""
    trusted = np.array([np.inf if r.max_trusted is None else r.max_trusted
                        for r in responses])
    capped = np.minimum(hi, np.maximum(trusted, lo))
    if not (capped < hi).any():
        return (False,) * len(hi), ()
    if capped.sum() < total * (1 - 1e-9):
        beyond = [r.category for r, c, h in zip(responses, capped, hi, strict=True) if c < h]
        return (False,) * len(hi), (
            f"the total needs more than the spend history covers in {', '.join(beyond)}; "
            "their predictions extrapolate their curves beyond the data",)
    flags = tuple(bool(c < h - 1e-9 * max(total, 1.0)) for c, h in zip(capped, hi,
                                                                          strict=True))
    hi[:] = capped
    return flags, ()


def _meets(setup: _Setup, spend: Floats, problem: Problem) -> bool:
    revenue = float(_revenues(setup.responses, spend).sum())
    conversions = float((_revenues(setup.responses, spend) / setup.per_conversion).sum())
    total = float(spend.sum())
    if problem.roi_target is not None and (revenue - total) / total * 100 < problem.roi_target:
        return False
    return not (problem.cpa_target is not None
                and (conversions <= 0 or total / conversions > problem.cpa_target))


def _spend_level(setup: _Setup, problem: Problem) -> tuple[float, Floats]:
    """The total to spend and its allocation: all of it, or under a target the most
    that still meets it."""
    total = problem.total

    def solve(amount: float) -> Floats:
        return _solve(setup.responses, setup.lo, setup.hi, amount, setup.weights,
                      setup.penalty)

    _check_totals(setup.responses, setup.lo, setup.hi, total, setup.fixed)
    full = solve(total)
    if problem.roi_target is None and problem.cpa_target is None:
        return total, full
    if _meets(setup, full, problem):
        return total, full
    least = float(setup.lo.sum())
    if least <= 0:
        least = total * 1e-6
    low_plan = solve(least)
    if not _meets(setup, low_plan, problem):
        what = (f"ROI {problem.roi_target:g}%" if problem.roi_target is not None
                else f"CPA {problem.cpa_target:,.2f}")
        raise Infeasible("target", f"no allocation reaches the target {what}: even the "
                         f"smallest plan the minimums allow ({least:,.2f}) misses it; lower "
                         "the target or the minimum shares")
    low, high, plan = least, total, low_plan
    for _ in range(40):
        mid = (low + high) / 2
        candidate = solve(mid)
        if _meets(setup, candidate, problem):
            low, plan = mid, candidate
        else:
            high = mid
        if high - low <= 1e-7 * total:
            break
    return low, plan


def _evidence(setup: _Setup, spend: Floats, total: float,
              tolerance: float) -> tuple[Evidence, list[str | None]]:
    r = setup.responses
    eps = 1e-6 * max(total, 1.0)
    value = setup.weights * _marginals(r, spend) - setup.penalty
    bounds: list[str | None] = []
    for i in range(len(r)):
        if setup.fixed[i]:
            bounds.append("fixed")
        elif spend[i] >= setup.hi[i] - eps and setup.clv_capped[i]:
            bounds.append("clv_floor")
        elif spend[i] >= setup.hi[i] - eps and setup.history_capped[i]:
            bounds.append("history")
        elif spend[i] >= setup.hi[i] - eps:
            bounds.append("max")
        elif spend[i] <= setup.lo[i] + eps:
            bounds.append("min")
        else:
            bounds.append(None)
    free = [i for i, b in enumerate(bounds) if b is None]
    spread = 0.0
    ok = True
    if free:
        level = float(np.mean(value[free]))
        scale = max(abs(level), float(np.max(np.abs(value))), 1e-12)
        spread = float((value[free].max() - value[free].min()) / scale)
        ok = spread <= tolerance
        for i, b in enumerate(bounds):
            if b == "min" and value[i] > level + tolerance * scale:
                ok = False
            if b in ("max", "clv_floor", "history") and value[i] < level - tolerance * scale:
                ok = False
    grid = _grid(r, setup.lo, setup.hi, total, setup.weights, setup.penalty)
    grid_revenue = None
    if grid is not None:
        grid_revenue = grid + setup.penalty * total
    return Evidence(
        kkt_satisfied=ok, marginal_spread=spread,
        free_categories=tuple(r[i].category for i in free),
        binding=tuple((r[i].category, b) for i, b in enumerate(bounds) if b is not None),
        grid_revenue=grid_revenue if setup.penalty == 0 and
        np.allclose(setup.weights, 1.0) else None,
        grid_objective=grid), bounds


def _interval(responses: Sequence[Response], spend: Floats) -> tuple[float, float]:
    draws = min((len(r.samples) for r in responses), default=0)
    if draws < 2:
        point = float(_revenues(responses, spend).sum())
        return point, point
    values = np.zeros(draws)
    for r, s in zip(responses, spend, strict=True):
        values += np.array([float(c.revenue(s)) for c in r.samples[:draws]])
    return float(np.percentile(values, 5)), float(np.percentile(values, 95))


def optimize(responses: Sequence[Response], problem: Problem) -> Plan:
    """The best allocation of ``problem.total`` over ``responses``; raises ``Infeasible``
    naming the constraint when there is none."""
    setup = _setup(responses, problem)
    spent, spend = _spend_level(setup, problem)
    r = setup.responses
    evidence, bounds = _evidence(setup, spend, spent, problem.tolerance)
    revenue = _revenues(r, spend)
    conversions = revenue / setup.per_conversion
    marginal = _marginals(r, spend)
    current = np.array([x.current_spend for x in r])
    current_revenue = _revenues(r, current)
    lower, upper = _interval(r, spend)
    total_conv = float(conversions.sum())
    lines = tuple(Line(category=x.category, spend=float(spend[i]),
                       share=float(spend[i] / spent) if spent else 0.0,
                       revenue=float(revenue[i]), conversions=float(conversions[i]),
                       marginal_roi=float(marginal[i] - 1.0), bound=bounds[i],
                       current_spend=float(current[i]),
                       current_revenue=float(current_revenue[i]))
                  for i, x in enumerate(r))
    held = problem.total - spent
    reason = None
    if held > 1e-9 * problem.total:
        reason = ("held back: spending more would miss the "
                  + (f"ROI target of {problem.roi_target:g}%" if problem.roi_target is not None
                     else f"CPA target of {problem.cpa_target:,.2f}"))
    return Plan(lines=lines, objective=problem.objective, total=problem.total,
                spent=float(spent), held_back=float(max(held, 0.0)), held_back_reason=reason,
                revenue=float(revenue.sum()), revenue_lower=lower, revenue_upper=upper,
                conversions=total_conv, profit=float(revenue.sum() - spent),
                roi_percent=float((revenue.sum() - spent) / spent * 100) if spent else None,
                cpa=float(spent / total_conv) if total_conv > 0 else None,
                current_spend=float(current.sum()),
                current_revenue=float(current_revenue.sum()), evidence=evidence,
                warnings=setup.warnings)
