"""The attribution page: every model side by side for a period, the chosen model with
intervals, the path explorer, and CSV/Parquet exports of the comparison."""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

import polars as pl
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from analytics.attribution import MODEL_NAMES
from server.auth import require_role
from server.export import EXPORT_MEDIA_TYPES, write_export
from server.runners.attribution import EMAIL_KINDS, latest_order_time
from server.web.attribution_chart import grouped_bars
from server.web.operations import request_engine, run_operation
from server.web.roles import has_role
from server.web.templating import render, render_error

MODELS = MODEL_NAMES
CHART_KEYS = 12
DEFAULT_DAYS = 90
PAGE_RESAMPLES = 100
EXPORT_TYPES = EXPORT_MEDIA_TYPES

_ARGS = """$from: DateTime, $to: DateTime, $lookback: Float, $groupBy: AttributionGroupBy!,
  $halfLife: Float!, $weights: PositionWeightsInput, $kinds: [EmailTouchKind!],
  $intervals: Boolean!, $resamples: Int!"""
_FORWARD = """from: $from, to: $to, lookbackDays: $lookback, groupBy: $groupBy,
    halfLifeDays: $halfLife, positionWeights: $weights, emailKinds: $kinds"""
PAGE_QUERY = f"""
query AttributionPage($model: AttributionModel!, {_ARGS}) {{
  comparison: attributionComparison({_FORWARD}) {{
    currency orders orderRevenue attributedConversions attributedRevenue lookbackDays
    rows {{ model key conversions revenue share }}
  }}
  selected: attribution(model: $model, {_FORWARD}, intervals: $intervals,
                        resamples: $resamples) {{
    rows {{ key conversions conversionsLower conversionsUpper revenue revenueLower
           revenueUpper share spend roi }}
    journeys {{
      journeys converting ordersWithoutTouches
      lengths {{ length journeys conversions revenue conversionRate }}
      timeToConvert {{ label conversions revenue share }}
      topPaths(first: 10) {{ path journeys conversions revenue conversionRate }}
      emailRole {{ convertingJourneys touchedShare initiatedShare closedShare assistedShare
                  meanEmailTouches }}
    }}
  }}
}}
"""
EXPORT_QUERY = f"""
query AttributionExport({_ARGS}) {{
  attributionComparison({_FORWARD}, intervals: $intervals, resamples: $resamples) {{
    rows {{ model key conversions revenue share conversionsLower conversionsUpper
           revenueLower revenueUpper spend roi }}
  }}
}}
"""


class FormError(ValueError):
    """A settings field the page cannot use; the message names the field and the fix."""


@dataclass
class PageSettings:
    """The form's values as typed (so a re-rendered form shows what the user entered)."""

    model: str = "markov"
    start: str = ""
    end: str = ""
    lookback: str = "30"
    half_life: str = "7"
    first: str = "0.4"
    middle: str = "0.2"
    last: str = "0.4"
    group_by: str = "channel"
    kinds: list[str] = field(default_factory=lambda: ["open", "click"])
    # bootstrap intervals re-run the model per resample: seconds on a large database
    intervals: bool = False
    measure: str = "revenue"

    @classmethod
    def from_query(cls, params: QueryParams, default_lookback: float,
                   default_kinds: list[str], default_period: tuple[str, str] = ("", ""),
                   ) -> PageSettings:
        values = cls(start=default_period[0], end=default_period[1],
                     lookback=f"{default_lookback:g}", kinds=list(default_kinds))
        # A submitted form always carries the model; unchecked boxes are then absent.
        submitted = "model" in params
        for name in ("model", "start", "end", "lookback", "half_life", "first", "middle",
                     "last", "group_by", "measure"):
            if name in params:
                setattr(values, name, params[name].strip())
        if submitted:
            values.kinds = [kind for kind in EMAIL_KINDS if kind in params.getlist("kinds")]
            values.intervals = params.get("intervals") == "1"
        return values

    def query_string(self) -> str:
        fields = {k: v for k, v in asdict(self).items() if k not in ("kinds", "intervals")}
        pairs = [*fields.items(), *(("kinds", kind) for kind in self.kinds)]
        if self.intervals:
            pairs.append(("intervals", "1"))
        return urlencode(pairs)

    def variables(self) -> dict[str, Any]:
        """GraphQL variables; raises FormError naming the field."""
        _choice("model", self.model, MODELS)
        _choice("group_by", self.group_by, ("channel", "campaign"))
        _choice("measure", self.measure, ("revenue", "conversions"))
        if not self.kinds:
            raise FormError("Email touches: tick at least one of delivered, open, click")
        start = _day("from", self.start)
        end = _day("to", self.end)
        if start is not None and end is not None and start > end:
            raise FormError(f"From ({start}) is after To ({end}); swap the dates")
        return {
            "model": self.model.upper(),
            "from": None if start is None else datetime.combine(start, time(), UTC).isoformat(),
            # "to" is inclusive on the form: orders up to the end of that day
            "to": None if end is None else datetime.combine(end + timedelta(days=1), time(),
                                                            UTC).isoformat(),
            "lookback": _number("lookback", self.lookback),
            "groupBy": self.group_by.upper(),
            "halfLife": _number("half_life", self.half_life),
            "weights": {"first": _number("first", self.first),
                        "middle": _number("middle", self.middle),
                        "last": _number("last", self.last)},
            "kinds": [kind.upper() for kind in self.kinds],
            "intervals": self.intervals,
            "resamples": PAGE_RESAMPLES,
        }


_LABELS = {"model": "Model", "from": "From", "to": "To", "lookback": "Lookback (days)",
           "half_life": "Half-life (days)", "first": "First touch weight",
           "middle": "Middle weight", "last": "Last touch weight", "group_by": "Group by",
           "measure": "Chart"}


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise FormError(f"{_LABELS[name]}: {value!r} is not an option; pick one of "
                        f"{', '.join(allowed)}")


def _day(name: str, value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FormError(f"{_LABELS[name]}: {value!r} is not a date; use YYYY-MM-DD, "
                        "e.g. 2026-03-01") from None


def _number(name: str, value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise FormError(f"{_LABELS[name]}: {value!r} is not a number; e.g. "
                        f"{getattr(PageSettings, name)}") from None


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def chart(rows: list[dict[str, Any]], measure: str) -> tuple[Any, int]:
    """The comparison chart of the keys with the most credit, and how many keys exist."""
    best: dict[str, float] = {}
    values: dict[tuple[str, str], float] = {}
    for row in rows:
        amount = float(row[measure])
        values[(row["key"], row["model"].lower())] = amount
        best[row["key"]] = max(best.get(row["key"], 0.0), amount)
    keys = sorted(best, key=lambda key: (-best[key], key))[:CHART_KEYS]
    fmt = "{:,.0f}".format if measure == "revenue" else "{:,.1f}".format
    label = f"Attributed {measure} by model"
    svg = grouped_bars(keys, MODELS, values, label=label, fmt=fmt,
                       series_labels={m: m.replace("_", " ") for m in MODELS})
    return svg, len(best)


async def _settings(request: Request) -> PageSettings:
    config = request.app.state.settings
    params = request.query_params
    period = ("", "")
    if not {"model", "start", "end"} & set(params):
        # a first visit shows the latest DEFAULT_DAYS of orders, not all history: reading
        # every journey ever is slow on a large database, and periods are how people ask
        latest = await run_in_threadpool(latest_order_time, request_engine(request))
        if latest is not None:
            last = latest.date()
            period = ((last - timedelta(days=DEFAULT_DAYS - 1)).isoformat(), last.isoformat())
    return PageSettings.from_query(params, config.multitouch_lookback_days,
                                   config.multitouch_email_kinds.split(","), period)


async def attribution_page(request: Request) -> Response:
    settings = await _settings(request)
    try:
        variables = settings.variables()
    except FormError as error:
        return render_error(request, 400, "Check the attribution settings", str(error))
    data = await run_operation(request, PAGE_QUERY, variables)
    comparison, selected = data["comparison"], data["selected"]
    svg, key_count = chart(comparison["rows"], settings.measure)
    context = {
        "form": settings,
        "models": MODELS,
        "email_kinds": EMAIL_KINDS,
        "summary": comparison,
        "chart": svg,
        "chart_keys": min(key_count, CHART_KEYS),
        "key_count": key_count,
        "rows": sorted(selected["rows"], key=lambda row: -float(row["revenue"])),
        "journeys": selected["journeys"],
        "query_string": settings.query_string(),
        "can_export": has_role(request, "analyst"),
    }
    return render(request, "attribution.html", context, fragment="report")


async def export_comparison(request: Request) -> Response:
    require_role(request, "analyst")
    fmt = request.path_params["format"].lower()
    if fmt not in EXPORT_TYPES:
        return render_error(request, 404, "Unknown export format",
                            f"There is no .{fmt} export; use .csv, .parquet or .arrow.")
    settings = await _settings(request)
    try:
        variables = settings.variables()
    except FormError as error:
        return render_error(request, 400, "Check the attribution settings", str(error))
    variables.pop("model")
    data = await run_operation(request, EXPORT_QUERY, variables)
    rows = data["attributionComparison"]["rows"]

    def build() -> bytes:
        frame = export_frame(rows, key_name=settings.group_by, intervals=settings.intervals)
        buffer = io.BytesIO()
        if fmt == "csv":
            frame.write_csv(buffer)
        else:
            write_export(frame, buffer, fmt)
        return buffer.getvalue()

    body = await run_in_threadpool(build)
    return Response(body, media_type=EXPORT_TYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="attribution.{fmt}"'})


def export_frame(rows: list[dict[str, Any]], *, key_name: str,
                 intervals: bool) -> pl.DataFrame:
    """The comparison table as a typed frame: ``model, <key_name>, conversions, revenue,
    share`` (+ bounds when ``intervals``), ``spend, roi``."""
    columns = ["conversions", "revenue", "share"]
    if intervals:
        columns += ["conversionsLower", "conversionsUpper", "revenueLower", "revenueUpper"]
    columns += ["spend", "roi"]
    names = {"conversionsLower": "conversions_lower", "conversionsUpper": "conversions_upper",
             "revenueLower": "revenue_lower", "revenueUpper": "revenue_upper"}
    schema = {"model": pl.String, key_name: pl.String,
              **{names.get(column, column): pl.Float64 for column in columns}}
    records = [[row["model"].lower(), row["key"], *(_float(row[c]) for c in columns)]
               for row in rows]
    return pl.DataFrame(records, schema=schema, orient="row")
