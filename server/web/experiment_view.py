"""Turn experiment GraphQL results into what the templates show: warnings that must not be
missed, formatted effects, and the charts."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from server.web.experiment_charts import ForestRow, Point, forest_plot, line_chart

STATUS_TEXT = {
    "KEEP_RUNNING": "Keep running", "WINNER": "Winner", "NO_DIFFERENCE": "No difference",
    "SRM_INVALID": "Invalid: sample ratio mismatch",
    "GUARDRAIL_VIOLATED": "Guardrail violated",
}


def pct(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:+.2%}" if signed else f"{value:.2%}"


def _lift(value: float | None) -> str:
    return "unbounded" if value is None else f"{value:+.1%}"


def amount(value: float | None, kind: str, signed: bool = False) -> str:
    """A rate as a percentage (a change in percentage points), a mean as a number."""
    if value is None:
        return "unbounded"
    if kind in ("PROPORTION", "RATIO"):
        text = f"{value * 100:+.2f} pp" if signed else f"{value:.2%}"
    else:
        text = f"{value:+,.2f}" if signed else f"{value:,.2f}"
    return text


def interval(bounds: dict[str, Any] | None, kind: str) -> str:
    if not bounds:
        return "—"
    return f"{amount(bounds['low'], kind, True)} to {amount(bounds['high'], kind, True)}"


def warnings(analysis: dict[str, Any] | None) -> list[str]:
    """SRM and guardrail problems, each one sentence: shown in the red banner."""
    if not analysis:
        return []
    out = []
    srm = analysis["srm"]
    if srm["mismatch"]:
        split = " / ".join(f"{n:,}" for n in srm["observed"])
        planned = " / ".join(f"{share:.0%}" for share in srm["plannedShares"])
        out.append(f"Sample ratio mismatch: the variants received {split} delivered sends "
                   f"but the plan was {planned} (p = {srm['pValue']:.2g}). Assignment or "
                   "delivery is broken, so no result on this page can be trusted.")
    for guardrail in analysis["guardrails"]:
        for e in guardrail["effects"]:
            if e["significant"] and e["difference"] is not None and e["difference"] > 0:
                out.append(f"Guardrail: '{e['variant']}' has a significantly higher "
                           f"{guardrail['metric']} ({pct(e['variantValue'])} vs "
                           f"{pct(e['controlValue'])} for the control, adjusted p = "
                           f"{e['pValue']:.3g}). Stop sending it.")
    return out


def effect_rows(metric: dict[str, Any]) -> list[dict[str, Any]]:
    kind = metric["metricType"]
    rows = []
    for e in metric["effects"]:
        strength = (f"p = {e['pValue']:.3g}" if e.get("pValue") is not None
                    else f"P(better) = {e['probabilityBetter']:.1%}"
                    if e.get("probabilityBetter") is not None else "")
        rows.append({
            "variant": e["variant"], "control": amount(e["controlValue"], kind),
            "value": amount(e["variantValue"], kind),
            "difference": amount(e["difference"], kind, True),
            "interval": interval(e["differenceInterval"], kind),
            "lift": pct(e["relativeLift"], True),
            "lift_interval": (f"{pct(e['liftInterval']['low'], True)} to "
                              f"{pct(e['liftInterval']['high'], True)}"
                              if e.get("liftInterval") else "—"),
            "strength": strength, "significant": e["significant"],
        })
    return rows


def forest(metrics: list[dict[str, Any]], *, label: str) -> Markup | None:
    rows = []
    for metric in metrics:
        for e in metric["effects"]:
            lift = e.get("liftInterval") or {}
            good = None
            if e["significant"] and e["difference"] is not None:
                good = (e["difference"] > 0) == metric["higherIsBetter"]
            note = (f"{_lift(e['relativeLift'])} [{_lift(lift.get('low'))}, "
                    f"{_lift(lift.get('high'))}]" if lift else "no lift: control is 0")
            rows.append(ForestRow(label=f"{metric['metric']} · {e['variant']}",
                                  estimate=e["relativeLift"], low=lift.get("low"),
                                  high=lift.get("high"), good=good, note=note))
    return forest_plot(rows, label=label) if rows else None


def sequential_charts(monitor: dict[str, Any] | None, kind: str,
                      alpha: float) -> list[dict[str, Any]]:
    """Per variant: the always-valid interval of the difference and the always-valid
    p-value by day."""
    if not monitor or not monitor["looks"]:
        return []
    fmt = "{:+.2%}" if kind == "PROPORTION" else "{:+,.2f}"
    # Campaign looks are days since the send; pasted looks are just numbered.
    by_day = monitor["looks"][0]["day"] is not None
    x_label = "day since send" if by_day else "look"
    variants = [e["variant"] for e in monitor["looks"][0]["effects"]]
    charts = []
    for j, name in enumerate(variants):
        points = [Point(day=look["day"] if by_day else look["look"] + 1,
                        value=look["effects"][j]["difference"],
                        low=look["effects"][j]["interval"]["low"],
                        high=look["effects"][j]["interval"]["high"])
                  for look in monitor["looks"]]
        last = points[-1]
        values = [p.value for p in points if p.value is not None] + [
            v for v in (last.low, last.high, 0.0) if v is not None]
        pad = (max(values) - min(values)) * 0.25 or 0.01
        difference = line_chart(
            points, label=f"Always-valid interval of the difference, '{name}' vs control",
            y_label="difference (variant − control)", fmt=fmt, reference=0.0,
            reference_label="no difference", y_range=(min(values) - pad, max(values) + pad),
            x_label=x_label)
        p_values = line_chart(
            [Point(day=p.day, value=look["effects"][j]["adjustedPValue"])
             for p, look in zip(points, monitor["looks"], strict=True)],
            label=f"Always-valid p-value, '{name}' vs control", y_label="p-value",
            fmt="{:.2f}", reference=alpha, reference_label=f"alpha = {alpha:g}",
            y_range=(0.0, 1.0), x_label=x_label)
        charts.append({"variant": name, "difference": difference, "p_value": p_values})
    return charts
