"""Lifetime value against ``lifetimes`` and on a real purchase history (CDNOW).

``lifetimes`` (0.11.3) does not install beside the project's numpy, pandas and scipy, so
it is not a dependency: the first run creates a separate venv for it under
``bench/out/lifetimes-venv`` (pinned versions below, reused afterwards) and runs its
fitters there in a subprocess, on files this script writes.

1. **The fitters side by side.** On the demo's orders at scale M (100k customers, 180
   days; ``--customers`` for a quicker look) and on CDNOW's calibration period, the
   BG/NBD and Gamma-Gamma fits of ``analytics/predictions/bgnbd.py`` and of lifetimes'
   ``BetaGeoFitter`` / ``GammaGammaFitter`` on the same per-customer summaries (x, t_x
   and T in days; x + 1 orders of mean value ``monetary`` for Gamma-Gamma): both
   parameter sets, the largest absolute difference, both log-likelihoods under each
   implementation's own formula, and the fit times with their ratio.
2. **CDNOW through the product.** CDNOW (23,570 customers who first bought in the first
   quarter of 1997, every purchase until June 1998; shipped in the lifetimes wheel) is
   split the classic way: a 39-week calibration period (1997-01-01 to 1997-09-30) and a
   39-week holdout. Only the calibration period is written as Mailscope import files
   (customers and orders: a purchase-only store) and imported with ``mailscope db
   upgrade`` and ``mailscope import`` into a fresh SQLite file; ``mailscope train ltv``
   (as of the calibration end, the longest horizon its windows allow) trains and scores
   it, and ``mailscope export scores`` reads the predictions back. They are compared
   with each customer's actual orders and revenue after the calibration end: over the
   served horizon for BG/NBD, LightGBM and the served model, and over the whole 39-week
   holdout for our BG/NBD fitted on the calibration period beside lifetimes'
   conditional expected purchases on the same split.

    python bench/lifetime_value.py
    python bench/lifetime_value.py --customers 20000
    python bench/lifetime_value.py --skip-demo
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import venv
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analytics.predictions import (  # noqa: E402
    LifetimeModel,
    customer_features,
    fit_bgnbd,
    fit_gamma_gamma,
    load_model,
    order_histories,
)
from analytics.predictions.bgnbd import (  # noqa: E402
    BgNbdParams,
    GammaGammaParams,
    bgnbd_log_likelihood,
    expected_order_value,
    expected_purchases,
    gamma_gamma_log_likelihood,
)
from analytics.predictions.lifetime import bgnbd_forecast, regression_metrics  # noqa: E402

OUT = ROOT / "bench" / "out"
LIFETIMES_VENV = OUT / "lifetimes-venv"
# A set that installs together from PyPI on Python 3.11 (lifetimes 0.11.3 predates
# numpy 2 and pandas 2).
LIFETIMES_PINS = ("lifetimes==0.11.3", "numpy==1.26.4", "pandas==1.5.3", "scipy==1.11.4")
CALIBRATION_START = datetime(1997, 1, 1, tzinfo=UTC)
CALIBRATION_END = CALIBRATION_START + timedelta(weeks=39)  # 1997-10-01
HOLDOUT_END = CALIBRATION_END + timedelta(weeks=39)  # 1998-07-01
# The lifetime-value gate wants 30 days of order history before the training cutoff,
# which lies two horizons before --as-of.
GATE_HISTORY_DAYS = 30
TOLERANCE = 1e-3

# Runs in the lifetimes venv: fits both models on the summary file and writes the
# parameters, the fit times, lifetimes' own log-likelihood at both parameter sets and
# (when asked) its conditional expected purchases per customer.
LIFETIMES_SCRIPT = r"""
import contextlib, io, json, sys, time, warnings
warnings.simplefilter("ignore")
import numpy as np, pandas as pd
from autograd import value_and_grad
from scipy.optimize import minimize
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import ConvergenceError
summary_path, ours_path, out_path = sys.argv[1:4]
horizon = float(sys.argv[4])
data = pd.read_csv(summary_path)
ours = json.load(open(ours_path))
x, t_x, T = (data[c].to_numpy() for c in ("x", "t_x", "T"))
repeat = data[(data["x"] > 0) & (data["monetary"] > 0)]
orders, m = (repeat["x"] + 1).to_numpy(), repeat["monetary"].to_numpy()


def fit(fitter, names, args, scale):
    # lifetimes' own fit; when it raises ConvergenceError, the point where its optimiser
    # (the same minimize call, without the raise) stopped.
    start = time.perf_counter()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            fitted = fitter().fit(*args)
        seconds = time.perf_counter() - start
        return fitted, [float(fitted.params_[k]) for k in names], seconds, True
    except ConvergenceError:
        seconds = time.perf_counter() - start
    scaled = list(args) if scale is None else [args[0], args[1] * scale, args[2] * scale]
    out = minimize(value_and_grad(fitter._negative_log_likelihood), jac=True, method=None,
                   tol=1e-7, x0=0.1 * np.ones(len(names)),
                   args=(*scaled, np.ones(len(args[0])), 0.0))
    params = np.exp(out.x)
    if scale is not None:
        params[1] /= scale
    stopped = fitter()
    stopped.params_ = pd.Series(params, index=names)
    return stopped, [float(v) for v in params], seconds, False


bg, theirs_bg, bg_s, bg_ok = fit(BetaGeoFitter, ["r", "alpha", "a", "b"],
                                 (x.astype(int), t_x, T), 1.0 / T.max())
gg, theirs_gg, gg_s, gg_ok = fit(GammaGammaFitter, ["p", "q", "v"], (orders, m), None)
def bg_ll(params):
    return -BetaGeoFitter._negative_log_likelihood(
        np.log(params), x, t_x, T, np.ones(len(x)), 0.0) * len(x)
def gg_ll(params):
    return -GammaGammaFitter._negative_log_likelihood(
        np.log(params), orders, m, np.ones(len(orders)), 0.0) * len(orders)
result = {"bgnbd": theirs_bg, "gamma_gamma": theirs_gg, "bgnbd_s": bg_s, "gamma_gamma_s": gg_s,
          "bgnbd_converged": bg_ok, "gamma_gamma_converged": gg_ok,
          "bgnbd_ll": {"theirs": bg_ll(np.array(theirs_bg)),
                       "ours": bg_ll(np.array(ours["bgnbd"]))},
          "gamma_gamma_ll": {"theirs": gg_ll(np.array(theirs_gg)),
                             "ours": gg_ll(np.array(ours["gamma_gamma"]))}}
if horizon > 0:
    expected = bg.conditional_expected_number_of_purchases_up_to_time(horizon, x, t_x, T)
    value = gg.conditional_expected_average_profit(data["x"] + 1, data["monetary"].fillna(0))
    result["expected"] = [float(v) for v in expected]
    result["value"] = [float(v) for v in value]
json.dump(result, open(out_path, "w"))
"""


def lifetimes_python() -> Path:
    """The venv's interpreter, creating the venv (once) with ``LIFETIMES_PINS``."""
    python = LIFETIMES_VENV / "bin" / "python"
    marker = LIFETIMES_VENV / "pins.txt"
    if python.exists() and marker.exists() and marker.read_text() == "\n".join(LIFETIMES_PINS):
        return python
    print(f"creating {LIFETIMES_VENV} with {', '.join(LIFETIMES_PINS)} (once)")
    venv.create(LIFETIMES_VENV, with_pip=True, clear=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    *LIFETIMES_PINS], check=True)
    marker.write_text("\n".join(LIFETIMES_PINS))
    return python


def cdnow_file(python: Path) -> Path:
    """CDNOW_master.txt as shipped in the lifetimes wheel."""
    folder = subprocess.run(
        [str(python), "-c", "import lifetimes.datasets, os; "
                            "print(os.path.dirname(lifetimes.datasets.__file__))"],
        check=True, capture_output=True, text=True).stdout.strip()
    return Path(folder) / "CDNOW_master.txt"


def run_lifetimes(python: Path, summary: pl.DataFrame, ours: dict[str, list[float]],
                  name: str, horizon: float = 0.0) -> dict[str, Any]:
    folder = OUT / "lifetime_value"
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{name}-{part}" for part in ("summary.csv", "ours.json",
                                                    "lifetimes.json")]
    summary.select("x", "t_x", "T", "monetary").write_csv(paths[0])
    paths[1].write_text(json.dumps(ours))
    subprocess.run([str(python), "-c", LIFETIMES_SCRIPT, *map(str, paths), str(horizon)],
                   check=True)
    result: dict[str, Any] = json.loads(paths[2].read_text())
    return result


def compare_fits(python: Path, histories: pl.DataFrame, name: str,
                 horizon: float = 0.0) -> tuple[BgNbdParams, GammaGammaParams, dict[str, Any]]:
    """Fit both implementations on ``histories`` (buyers only) and print the comparison."""
    buyers = histories.filter(pl.col("monetary").is_not_null())
    repeat = buyers.filter((pl.col("x") > 0) & (pl.col("monetary") > 0))
    start = time.perf_counter()
    bgnbd = fit_bgnbd(buyers["x"], buyers["t_x"], buyers["T"])
    bgnbd_s = time.perf_counter() - start
    start = time.perf_counter()
    spend = fit_gamma_gamma(repeat["x"] + 1, repeat["monetary"])
    spend_s = time.perf_counter() - start
    ours = {"bgnbd": [bgnbd.r, bgnbd.alpha, bgnbd.a, bgnbd.b],
            "gamma_gamma": [spend.p, spend.q, spend.gamma]}
    theirs = run_lifetimes(python, buyers, ours, name, horizon)
    print(f"\n{name}: {buyers.height:,} buyers, {repeat.height:,} repeat buyers "
          "(x, t_x, T in days)")
    rows = (("BG/NBD", ("r", "alpha", "a", "b"), ours["bgnbd"], theirs["bgnbd"], bgnbd_s,
             theirs["bgnbd_s"], theirs["bgnbd_ll"],
             _ours_ll_bgnbd(buyers, ours["bgnbd"], theirs["bgnbd"]), bgnbd.converged,
             theirs["bgnbd_converged"]),
            ("Gamma-Gamma", ("p", "q", "gamma"), ours["gamma_gamma"], theirs["gamma_gamma"],
             spend_s, theirs["gamma_gamma_s"], theirs["gamma_gamma_ll"],
             _ours_ll_gamma(repeat, ours["gamma_gamma"], theirs["gamma_gamma"]),
             spend.converged, theirs["gamma_gamma_converged"]))
    for label, names, mine, other, mine_s, other_s, their_ll, our_ll, converged, their_ok \
            in rows:
        print(f"  {label}" + ("" if their_ok else ": lifetimes raised ConvergenceError; "
                              "its values are where its optimiser stopped"))
        for key, a, b in zip(names, mine, other, strict=True):
            print(f"    {key:<6} ours {a:14.6f}   lifetimes {b:14.6f}   diff {a - b:+.2e}"
                  f"   rel {abs(a - b) / abs(b):.1e}")
        worst = max(abs(a - b) for a, b in zip(mine, other, strict=True))
        relative = max(abs(a - b) / abs(b) for a, b in zip(mine, other, strict=True))
        print(f"    max abs diff {worst:.2e}, max relative {relative:.2e} "
              f"({'within' if worst <= TOLERANCE else 'BEYOND'} {TOLERANCE:g} absolute)")
        print(f"    log-likelihood, lifetimes' formula: at ours {their_ll['ours']:.4f}, "
              f"at lifetimes' {their_ll['theirs']:.4f}")
        print(f"    log-likelihood, our formula:        at ours {our_ll[0]:.4f}, "
              f"at lifetimes' {our_ll[1]:.4f}")
        if label == "BG/NBD":
            print(f"    identifiable on a ridge: mean dropout a/(a+b) ours "
                  f"{mine[2] / (mine[2] + mine[3]):.6f}, lifetimes "
                  f"{other[2] / (other[2] + other[3]):.6f}; mean rate r/alpha ours "
                  f"{mine[0] / mine[1]:.6f}, lifetimes {other[0] / other[1]:.6f} per day")
        print(f"    fit time ours {mine_s:.3f} s (converged={converged}), lifetimes "
              f"{other_s:.3f} s{'' if their_ok else ' (until ConvergenceError)'}: ours "
              f"takes {mine_s / other_s:.2f}x lifetimes' time")
    return bgnbd, spend, theirs


def _ours_ll_bgnbd(buyers: pl.DataFrame, *params: list[float]) -> tuple[float, float]:
    x, t_x, age = (buyers[c].to_numpy() for c in ("x", "t_x", "T"))
    first, second = (bgnbd_log_likelihood(np.log(np.array(p)), x, t_x, age)[0]
                     for p in params)
    return first, second


def _ours_ll_gamma(repeat: pl.DataFrame, *params: list[float]) -> tuple[float, float]:
    x = (repeat["x"] + 1).to_numpy()
    m = repeat["monetary"].to_numpy()
    first, second = (gamma_gamma_log_likelihood(np.log(np.array(p)), x, m)[0]
                     for p in params)
    return first, second


def demo_comparison(python: Path, customers: int, seed: int) -> None:
    from server.demo import generate

    start = time.perf_counter()
    campaigns = 200 if customers >= 100_000 else None
    data = generate(customers=customers, campaigns=campaigns, days=180, seed=seed)
    orders = data.frames["orders"].select("customer_id", "occurred_at",
                                          pl.col("amount").cast(pl.Float64))
    print(f"demo: {customers:,} customers, 180 days, {orders.height:,} orders "
          f"(generated in {time.perf_counter() - start:.1f} s)")
    cutoff = orders["occurred_at"].max() + timedelta(microseconds=1)
    ids = orders["customer_id"].unique().sort()
    compare_fits(python, order_histories(orders, ids, cutoff=cutoff), "demo")


def cdnow_orders(path: Path) -> pl.DataFrame:
    """CDNOW's rows as orders, one per line of the file (a customer may have several
    on one day), at noon UTC."""
    # Space-aligned columns under a header: customer id, date, CDs bought, dollars.
    rows = [line.split() for line in path.read_text().splitlines()[1:] if line.strip()]
    frame = pl.DataFrame(rows, schema=["customer", "date", "cds", "amount"], orient="row")
    frame = frame.select(
        customer_id=pl.format("cd{}", pl.col("customer")),
        day=pl.col("date").str.to_date("%Y%m%d"), cds=pl.col("cds").cast(pl.Int64),
        amount=pl.col("amount").cast(pl.Float64))
    return frame.with_row_index("row").with_columns(
        occurred_at=pl.col("day").cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
        + pl.duration(hours=12),
        order_id=pl.format("cdnow-{}", pl.col("row") + 1))


def mailscope(*args: str, url: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    command = [str(ROOT / ".venv" / "bin" / "mailscope"), *args, "--database-url", url]
    result = subprocess.run(command, capture_output=True, text=True, cwd=OUT,
                            env={**os.environ, "MAILSCOPE_SCORE_SHARDS": "2"})
    if check and result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def _print_metrics(label: str, actual: np.ndarray, predicted: np.ndarray) -> None:
    m = regression_metrics(actual, np.clip(predicted, 0, None))
    print(f"    {label:<34} MAE {m.mae:8.3f}  RMSE {m.rmse:8.3f}  corr {m.correlation:6.3f}"
          f"  bias {m.bias:+7.1%}  Σpred {predicted.sum():12,.1f} vs Σactual "
          f"{actual.sum():12,.1f}")


def cdnow(python: Path) -> None:
    orders = cdnow_orders(cdnow_file(python))
    calibration = orders.filter(pl.col("occurred_at") < CALIBRATION_END)
    holdout = orders.filter((pl.col("occurred_at") >= CALIBRATION_END)
                            & (pl.col("occurred_at") < HOLDOUT_END))
    customers = orders.group_by("customer_id").agg(first=pl.col("occurred_at").min())
    print(f"\nCDNOW: {customers.height:,} customers, {orders.height:,} orders "
          f"({orders['day'].min()} to {orders['day'].max()}); calibration "
          f"{calibration.height:,} orders before {CALIBRATION_END.date()}, holdout "
          f"{holdout.height:,} orders to {HOLDOUT_END.date()}; "
          f"{int((orders['amount'] == 0).sum())} orders of amount 0")

    folder = OUT / "lifetime_value"
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "cdnow.sqlite"
    for leftover in folder.glob("cdnow.sqlite*"):
        leftover.unlink()
    url = f"sqlite:///{database}"
    (customers.sort("customer_id").select(
        "customer_id", email=pl.format("{}@cdnow.example.com", pl.col("customer_id")),
        signup_at=pl.col("first").dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
     .write_csv(folder / "cdnow-customers.csv"))
    (calibration.select("order_id", "customer_id",
                        occurred_at=pl.col("occurred_at").dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        amount=pl.col("amount").round(2), currency=pl.lit("USD"))
     .write_csv(folder / "cdnow-orders.csv"))
    start = time.perf_counter()
    mailscope("db", "upgrade", url=url)
    for kind in ("customers", "orders"):
        print("  " + mailscope("import", kind, str(folder / f"cdnow-{kind}.csv"),
                               url=url).stdout.strip().replace("\n", "\n  "))
    print(f"  imported in {time.perf_counter() - start:.1f} s")

    full_days = (HOLDOUT_END - CALIBRATION_END).days
    as_of = CALIBRATION_END.date().isoformat()
    refused = mailscope("train", "ltv", "--as-of", as_of, "--horizon-days",
                        str(full_days), url=url, check=False)
    print(f"  train ltv --horizon-days {full_days}: exit {refused.returncode}: "
          f"{refused.stderr.strip()}")
    horizon = ((CALIBRATION_END - CALIBRATION_START).days - GATE_HISTORY_DAYS) // 2
    start = time.perf_counter()
    trained = mailscope("train", "ltv", "--as-of", as_of, "--horizon-days", str(horizon),
                        url=url)
    print(f"  train ltv --as-of {as_of} --horizon-days {horizon} (and score) in "
          f"{time.perf_counter() - start:.1f} s:\n    "
          + trained.stdout.strip().replace("\n", "\n    "))
    if trained.stderr.strip():
        print("    " + trained.stderr.strip().replace("\n", "\n    "))
    mailscope("export", "scores", "-o", str(folder / "cdnow-scores.csv"), url=url)
    scores = pl.read_csv(folder / "cdnow-scores.csv", schema_overrides={
        "customer_id": pl.String, "expected_orders": pl.Float64, "predicted_clv": pl.Float64,
        "p_alive": pl.Float64})

    from server.db.engine import engine_for
    from server.runners import predictions as runner

    version = runner.active_version(engine_for(url), "ltv")
    assert version is not None
    model = load_model(version.artifact)
    assert isinstance(model, LifetimeModel)
    metrics = runner.version_metrics(version)
    print(f"  served: {version.served}; its holdout ({version.holdout_cutoff:%Y-%m-%d} +"
          f" {horizon} days) RMSE LightGBM {metrics['model']['rmse']:.2f}, BG/NBD + "
          f"Gamma-Gamma {metrics['baseline']['rmse']:.2f}")
    print(f"  p_alive in [{scores['p_alive'].min():.3f}, {scores['p_alive'].max():.3f}], "
          f"mean {scores['p_alive'].mean():.3f}; expected orders mean "
          f"{scores['expected_orders'].mean():.3f}")

    ids = scores["customer_id"]
    when = calibration["occurred_at"].max() + timedelta(microseconds=1)
    histories = order_histories(calibration, ids, cutoff=when)
    features = customer_features(
        pl.DataFrame({"customer_id": customers["customer_id"],
                      "signup_at": customers["first"]}).join(
            pl.DataFrame({"customer_id": ids}), on="customer_id", how="semi"),
        calibration.select("customer_id", "occurred_at", "amount"),
        pl.DataFrame(schema={"customer_id": pl.String, "sent_at": pl.Datetime("us", "UTC"),
                             "first_human_open_at": pl.Datetime("us", "UTC"),
                             "first_click_at": pl.Datetime("us", "UTC")}), cutoff=when)
    features = pl.DataFrame({"customer_id": ids}).join(features, on="customer_id", how="left")
    base = bgnbd_forecast(model.bgnbd, model.spend, histories, model.horizon_days)
    lightgbm = np.clip(np.asarray(model.booster.predict(
        features.select(model.features).to_numpy().astype(np.float64))), 0, None)

    def actual(end: datetime) -> tuple[np.ndarray, np.ndarray]:
        window = (holdout.filter(pl.col("occurred_at") < end).group_by("customer_id")
                  .agg(orders=pl.len().cast(pl.Float64), revenue=pl.col("amount").sum()))
        joined = pl.DataFrame({"customer_id": ids}).join(window, on="customer_id",
                                                          how="left").fill_null(0.0)
        return joined["orders"].to_numpy(), joined["revenue"].to_numpy()

    orders_h, revenue_h = actual(CALIBRATION_END + timedelta(days=horizon))
    print(f"\n  the served horizon: {horizon} days after {CALIBRATION_END.date()} "
          f"({orders_h.sum():,.0f} orders, ${revenue_h.sum():,.0f}), per customer:")
    print("   orders")
    _print_metrics("BG/NBD (the served version's fit)", orders_h, base.expected_orders)
    _print_metrics("exported expected_orders", orders_h,
                   scores["expected_orders"].to_numpy())
    print("   revenue")
    _print_metrics("BG/NBD + Gamma-Gamma", revenue_h, base.predicted_value)
    _print_metrics("LightGBM", revenue_h, lightgbm)
    _print_metrics(f"served ({version.served}), exported", revenue_h,
                   scores["predicted_clv"].to_numpy())

    # The classic comparison: both fitters on the whole calibration period, forecasting
    # the whole 39-week holdout.
    print(f"\n  the classic split: fitted on the 39 calibration weeks, forecasting the "
          f"{full_days}-day holdout")
    bgnbd, spend, theirs = compare_fits(python, histories, "CDNOW calibration",
                                        horizon=float(full_days))
    x, t_x, age = (histories[c].to_numpy() for c in ("x", "t_x", "T"))
    ours_orders = expected_purchases(bgnbd, float(full_days), x, t_x, age)
    value = expected_order_value(spend, x + 1, histories["monetary"].fill_null(0.0)
                                 .to_numpy())
    theirs_orders = np.asarray(theirs["expected"])
    orders_f, revenue_f = actual(HOLDOUT_END)
    print(f"  39-week holdout: {orders_f.sum():,.0f} orders, ${revenue_f.sum():,.0f}; "
          "per customer:")
    print("   orders")
    _print_metrics("ours BG/NBD", orders_f, ours_orders)
    _print_metrics("lifetimes BetaGeoFitter", orders_f, theirs_orders)
    _print_metrics("observed calibration rate × 39 wk", orders_f,
                   (x + 1) / np.maximum(age, 1) * full_days)
    print("   revenue")
    _print_metrics("ours BG/NBD × Gamma-Gamma", revenue_f, ours_orders * value)
    _print_metrics("lifetimes BG/NBD × Gamma-Gamma", revenue_f,
                   theirs_orders * np.asarray(theirs["value"]))
    print(f"  largest per-customer difference in expected orders, ours vs lifetimes: "
          f"{np.abs(ours_orders - theirs_orders).max():.2e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-demo", action="store_true",
                        help="Only CDNOW (the demo comparison generates scale M).")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    python = lifetimes_python()
    if not args.skip_demo:
        demo_comparison(python, args.customers, args.seed)
    cdnow(python)


if __name__ == "__main__":
    main()
