"""Budget optimiser quality and speed on the demo's known media response curves.

The demo draws each media category's monthly spend as its budget times a lognormal
(sigma ``SPEND_VARIATION_SIGMA``) and its orders from a Hill curve of adstocked spend
(``server/demo/channels.py`` MEDIA: half_saturation, shape, max_orders per 1,000
customers, adstock_decay). This script draws monthly histories the same way (20,000
customers, 24 months, one seed per run), fits the curves through the runner
(``fit_history``), allocates the demo's total media budget with the default bounds (5% -
40% a category) and scores every allocation on the TRUE steady-state curves:

- optimiser: SLSQP on the fitted curves (the goal: >= 98% of the true optimum);
- score-weighted: budget split by the categories' composite score (ROI, efficiency and
  consistency), clamped to the bounds and renormalised;
- current: the demo's budgets; equal: the same amount everywhere.

The true optimum is the optimiser run on the true curves, checked against 20,000 random
feasible allocations. Order values are drawn the same way for every source in the demo,
so a common order value (80) scales revenue without moving any optimum.

    python bench/budget.py
    python bench/budget.py --seeds 20 --months 12
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analytics.budget import HillCurve, Problem, Response, category_performance, optimize  # noqa: E402
from analytics.budget.optimizer import _project  # noqa: E402
from server.demo.channels import MEDIA, SPEND_VARIATION_SIGMA  # noqa: E402
from server.runners.budget import fit_history  # noqa: E402
from server.runners.budget import responses as runner_responses  # noqa: E402

CUSTOMERS = 20_000
ORDER_VALUE = 80.0
GOAL = 0.98


def true_curves(per_thousand: float) -> dict[str, HillCurve]:
    """Each category's steady-state revenue curve in total monthly spend."""
    return {name: HillCurve(top=m["max_orders"] * per_thousand * ORDER_VALUE,
                            half=m["half_saturation"] * (1 - m["adstock_decay"]) * per_thousand,
                            shape=m["shape"]) for name, m in MEDIA.items()}


def draw_history(rng: np.random.Generator, months: int, per_thousand: float) -> pl.DataFrame:
    rows = []
    for name, m in MEDIA.items():
        adstock = 0.0
        for month in range(months):
            spend = m["budget"] * rng.lognormal(0, SPEND_VARIATION_SIGMA)
            adstock = spend + m["adstock_decay"] * adstock
            x = adstock ** m["shape"]
            mean = m["max_orders"] * x / (x + m["half_saturation"] ** m["shape"])
            orders = int(rng.poisson(mean * per_thousand))
            rows.append((name, month, spend * per_thousand, orders * ORDER_VALUE,
                         float(orders)))
    return pl.DataFrame(rows, schema=["category", "month", "spend", "revenue", "conversions"],
                        orient="row")


def true_revenue(curves: dict[str, HillCurve], spend: dict[str, float]) -> float:
    return float(sum(curves[c].revenue(s) for c, s in spend.items()))


def score_weighted(history: pl.DataFrame, total: float, lo: float, hi: float,
                   ) -> dict[str, float]:
    spend = history.select("category", "month", amount="spend")
    rows = category_performance(spend, history.select("category", "month", "revenue",
                                                      "conversions"))
    names = [r.category for r in rows]
    weights = np.array([max(r.score, 1e-9) for r in rows])
    raw = weights / weights.sum() * total
    n = len(names)
    x = _project(raw, np.full(n, lo * total), np.full(n, hi * total), total)
    return dict(zip(names, x.tolist(), strict=True))


def check_true_optimum(curves: dict[str, HillCurve], best: float, total: float,
                       rng: np.random.Generator) -> float:
    """The best of random feasible allocations, as a fraction of ``best``."""
    names = list(curves)
    n = len(names)
    top = 0.0
    for _ in range(20_000):
        raw = rng.dirichlet(np.ones(n)) * total
        x = _project(raw, np.full(n, 0.05 * total), np.full(n, 0.40 * total), total)
        top = max(top, true_revenue(curves, dict(zip(names, x, strict=True))))
    return top / best


def timed(work):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = work()
    return result, time.perf_counter() - start


def speed(rng: np.random.Generator) -> None:
    print("\noptimiser speed (synthetic Hill curves, default bounds relaxed to fit n)")
    for n in (3, 5, 10, 20, 50):
        responses = [Response(f"c{i:02d}", HillCurve(float(rng.uniform(1e4, 1e5)),
                                                     float(rng.uniform(1e3, 2e4)),
                                                     float(rng.uniform(0.6, 1.8))))
                     for i in range(n)]
        problem = Problem(total=5e4, min_share=0.0, max_share=min(1.0, 3 / n))
        times = []
        for _ in range(5):
            plan, seconds = timed(lambda: optimize(responses, problem))  # noqa: B023
            times.append(seconds)
        print(f"  {n:>3} categories   median {np.median(times) * 1000:8.1f} ms   "
              f"KKT {'ok' if plan.evidence.kkt_satisfied else 'NOT ok'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--resamples", type=int, default=100)
    args = parser.parse_args()
    per_thousand = CUSTOMERS / 1000
    curves = true_curves(per_thousand)
    total = sum(m["budget"] for m in MEDIA.values()) * per_thousand
    truth = optimize([Response(c, curve) for c, curve in curves.items()], Problem(total=total))
    best = truth.revenue
    random_best = check_true_optimum(curves, best, total, np.random.default_rng(0))
    print(f"demo media: {len(curves)} categories, total {total:,.0f} a month, "
          f"{args.months} months, {args.seeds} seeds")
    print(f"true optimum {best:,.0f}; best of 20,000 random feasible allocations "
          f"{random_best:.4%} of it")
    ratios: dict[str, list[float]] = {"optimiser": [], "score-weighted": [], "current": [],
                                      "equal": []}
    fit_times, solve_times = [], []
    for seed in range(args.seeds):
        rng = np.random.default_rng(seed)
        history = draw_history(rng, args.months, per_thousand)
        fits, seconds = timed(lambda: fit_history(history, args.resamples))  # noqa: B023
        fit_times.append(seconds)
        responses = runner_responses(fits)
        plan, seconds = timed(lambda: optimize(responses, Problem(total=total)))  # noqa: B023
        solve_times.append(seconds)
        allocations = {
            "optimiser": {line.category: line.spend for line in plan.lines},
            "score-weighted": score_weighted(history, total, 0.05, 0.40),
            "current": {c: m["budget"] * per_thousand for c, m in MEDIA.items()},
            "equal": {c: total / len(MEDIA) for c in MEDIA},
        }
        for name, spend in allocations.items():
            ratios[name].append(true_revenue(curves, spend) / best)
    print("\nshare of the true optimum's revenue (on the true curves)")
    for name, values in ratios.items():
        print(f"  {name:<15} median {np.median(values):8.3%}   min {np.min(values):8.3%}")
    ok = np.median(ratios["optimiser"]) >= GOAL
    print(f"  goal: optimiser >= {GOAL:.0%} -> {'met' if ok else 'NOT met'}")
    print(f"\ntimings: fit 5 curves ({args.resamples} resamples) median "
          f"{np.median(fit_times):.2f} s; optimise median {np.median(solve_times) * 1000:.1f} ms")
    speed(np.random.default_rng(1))


if __name__ == "__main__":
    main()
