"""Turning GraphQL report data into what the dashboard and campaign templates show:
formatted cards and SVG charts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from markupsafe import Markup

from server.web.charts import amount, bar_chart, count, line_chart, percent

# Trend charts: (title, series keys, the metric whose target is drawn, format).
TREND_CHARTS = (
    ("Open rate", ("open_rate", "human_open_rate"), "open_rate", "percent"),
    ("Click rate", ("click_rate",), "click_rate", "percent"),
    ("Click-to-open rate", ("click_to_open_rate",), "click_to_open_rate", "percent"),
    ("Conversion rate", ("conversion_rate",), "conversion_rate", "percent"),
    ("Delivery rate", ("delivery_rate",), "delivery_rate", "percent"),
    ("Bounce rate", ("bounce_rate", "hard_bounce_rate", "soft_bounce_rate"), "bounce_rate",
     "percent"),
    ("Unsubscribe and complaint rates", ("unsubscribe_rate", "complaint_rate"),
     "unsubscribe_rate", "percent"),
    ("Revenue per email", ("revenue_per_email",), "revenue_per_email", "currency"),
    ("Revenue", ("revenue",), None, "currency"),
    ("Sends", ("sent",), None, "count"),
)
# Breakdown bar charts: (title, metric).
SEGMENT_CHARTS = (("Conversion rate by segment", "CONVERSION_RATE"),
                  ("Open rate by segment", "OPEN_RATE"))
PROVIDER_CHARTS = (("Delivery rate by mailbox provider", "DELIVERY_RATE"),
                   ("Bounce rate by mailbox provider", "BOUNCE_RATE"),
                   ("Open rate by mailbox provider", "OPEN_RATE"))
_FORMATS = {"percent": percent, "currency": amount, "count": count}


def format_metric(value: float | None, fmt: str) -> str:
    """A metric value as shown: ``22.50%``, ``0.45``; ``—`` for no data."""
    if value is None:
        return "—"
    return _FORMATS[str(fmt).lower()](value)


def metric_by_name(row: dict[str, Any], name: str) -> dict[str, Any]:
    return next(item for item in row["metrics"] if item["metric"] == name)


def metric_cards(row: dict[str, Any]) -> list[dict[str, Any]]:
    """One card per metric: value, target, difference and the status class."""
    cards = []
    for item in row["metrics"]:
        fmt = item["format"]
        difference = item["difference"]
        cards.append({
            "metric": item["metric"], "label": item["label"],
            "status": str(item["status"]).lower(),
            "value": format_metric(item["value"], fmt),
            "target": None if item["target"] is None else format_metric(item["target"], fmt),
            "bound": "≥" if item["higherIsBetter"] else "≤",
            "difference": None if difference is None else
            ("+" if difference >= 0 else "−") + format_metric(abs(difference), fmt),
        })
    return cards


def _bars(rows: list[dict[str, Any]], title: str, metric: str) -> Markup:
    items, statuses = [], []
    target, fmt = None, "percent"
    for row in rows:
        item = metric_by_name(row, metric)
        items.append((row["label"], item["value"]))
        statuses.append(str(item["status"]).lower())
        target, fmt = item["target"], item["format"]
    return bar_chart(items, title=title, value_format=_FORMATS[str(fmt).lower()],
                     target=target, statuses=statuses)


def charts_for(board: dict[str, Any]) -> dict[str, list[Markup]]:
    """Trend, segment and provider charts of a dashboard result."""
    trend = board["trend"]
    periods = [date.fromisoformat(day) for day in trend["periods"]]
    series = {item["key"]: item for item in trend["series"]}
    trends = []
    for title, keys, target_key, fmt in TREND_CHARTS:
        lines = [(series[key]["label"], series[key]["values"]) for key in keys]
        target = series[target_key]["target"] if target_key else None
        trends.append(line_chart(periods, lines, title=title, value_format=_FORMATS[fmt],
                                 target=target))
    segments = board["segments"]["rows"]
    providers = board["providers"]["rows"]
    return {
        "trends": trends,
        "segments": [_bars(segments, title, metric) for title, metric in SEGMENT_CHARTS]
        if segments else [],
        "providers": [_bars(providers, title, metric) for title, metric in PROVIDER_CHARTS]
        if providers else [],
    }


def filters_context(filters: dict[str, Any], board: dict[str, Any],
                    segments: list[dict[str, Any]], types: list[str],
                    granularities: tuple[str, ...],
                    presets: tuple[tuple[int, str], ...]) -> dict[str, Any]:
    """What the filter form shows: chosen values, choices and preset periods."""
    last = board["sendDays"]["last"]
    end = date.fromisoformat(last) if last else date.today()
    first = board["sendDays"]["first"]
    preset_links = [(label, end - timedelta(days=days - 1), end) for days, label in presets]
    if first:
        preset_links.append(("All data", date.fromisoformat(first), end))
    return {"from": filters["from"], "to": filters["to"],
            "granularity": filters["granularity"], "types": filters["types"],
            "segments": filters["segments"], "segment_choices": segments,
            "type_choices": types, "granularities": granularities,
            "presets": preset_links}
