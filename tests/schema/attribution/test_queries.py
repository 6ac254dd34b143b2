"""attribution, attributionComparison, attributePaths and Campaign.attributedRevenue: exact
JSON on the literal world of tests/worlds/attribution.py, on both databases."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

import schema.loaders
from tests.schema.conftest import INGEST, data_of, messages_of, run
from tests.worlds.attribution import MARCH, load_attribution_world

REPORT = """
query Report($models: [AttributionModel!], $from: DateTime, $to: DateTime,
             $groupBy: AttributionGroupBy! = CHANNEL, $kinds: [EmailTouchKind!]) {
  attributionComparison(models: $models, from: $from, to: $to, groupBy: $groupBy,
                        emailKinds: $kinds) {
    models groupBy from to lookbackDays emailKinds currency
    orders orderRevenue attributedConversions attributedRevenue
    rows { model key conversions revenue share spend roi }
  }
}
"""
JOURNEYS = """
query Journeys($from: DateTime, $to: DateTime) {
  attribution(model: LAST_TOUCH, from: $from, to: $to) {
    journeys {
      journeys converting ordersWithoutTouches
      lengths { length journeys conversions revenue conversionRate }
      timeToConvert { label lowerDays upperDays conversions revenue share }
      topPaths(first: 3) { path journeys conversions revenue conversionRate }
      emailRole { convertingJourneys touchedShare initiatedShare closedShare assistedShare
                  meanEmailTouches }
    }
  }
}
"""


@pytest.fixture
def world(db: Engine) -> Engine:
    return load_attribution_world(db)


def rounded(value: Any, places: int = 6) -> Any:
    """Floats rounded for golden comparisons (strings, such as decimals, stay exact)."""
    if isinstance(value, float):
        return round(value, places) + 0.0
    if isinstance(value, list):
        return [rounded(item, places) for item in value]
    if isinstance(value, dict):
        return {key: rounded(item, places) for key, item in value.items()}
    return value


def row(model: str, key: str, conversions: float, revenue: str, spend: str | None = None,
        roi: float | None = None) -> dict[str, Any]:
    return {"model": model, "key": key, "conversions": round(conversions, 6),
            "revenue": revenue, "share": round(conversions / 3, 6), "spend": spend,
            "roi": None if roi is None else round(roi, 6)}


def markov_revenue() -> dict[str, float]:
    # Hand derivation. Value-weighted chain: converting journeys weigh their revenue,
    # the two non-converting ones the mean order value 155.49 / 3 = 51.83. From email,
    # 40 of the 131.83 weight loops back, 40 converts and 51.83 leaves through sms, so
    # x_email = 40 / 91.83, and the chain converts 40 x + 15.5 + 99.99 + 51.83 x = 155.49.
    # Removing a channel loses what flows through it: paid 40 x, email 91.83 x = 40,
    # web 15.5, social 99.99; revenue is split in proportion.
    x_email = 40 / 91.83
    lost = {"email": 40.0, "paid": 40 * x_email, "social": 99.99, "web": 15.5}
    total = sum(lost.values())
    return {key: 155.49 * amount / total for key, amount in lost.items()}


async def test_comparison_exact_with_spend_and_roi(world: Engine) -> None:
    data = await data_of(world, REPORT, {"models": ["LAST_TOUCH", "LINEAR", "MARKOV"],
                                         **MARCH})
    report = rounded(data["attributionComparison"])
    markov = markov_revenue()
    assert report == {
        "models": ["LAST_TOUCH", "LINEAR", "MARKOV"], "groupBy": "CHANNEL",
        "from": "2026-03-01T00:00:00+00:00", "to": "2026-04-01T00:00:00+00:00",
        "lookbackDays": 30.0, "emailKinds": ["OPEN", "CLICK"], "currency": "USD",
        "orders": 4, "orderRevenue": "175.4900", "attributedConversions": 3.0,
        "attributedRevenue": "155.4900",
        "rows": [
            row("LAST_TOUCH", "email", 1, "40.0000", "10.0000", 3.0),
            row("LAST_TOUCH", "paid", 0, "0.0000", "100.0000", -1.0),
            row("LAST_TOUCH", "sms", 0, "0.0000"),
            row("LAST_TOUCH", "social", 1, "99.9900", "50.0000", 0.9998),
            row("LAST_TOUCH", "web", 1, "15.5000"),
            row("LINEAR", "email", 2 / 3, "26.6667", "10.0000", (80 / 3 - 10) / 10),
            row("LINEAR", "paid", 1 / 3, "13.3333", "100.0000", (40 / 3 - 100) / 100),
            row("LINEAR", "sms", 0, "0.0000"),
            row("LINEAR", "social", 1, "99.9900", "50.0000", 0.9998),
            row("LINEAR", "web", 1, "15.5000"),
            # removal effects of the count chain: paid 1/6, the others 1/3 (sms 0)
            row("MARKOV", "email", 6 / 7, f"{markov['email']:.4f}", "10.0000",
                (markov["email"] - 10) / 10),
            row("MARKOV", "paid", 3 / 7, f"{markov['paid']:.4f}", "100.0000",
                (markov["paid"] - 100) / 100),
            row("MARKOV", "sms", 0, "0.0000"),
            row("MARKOV", "social", 6 / 7, f"{markov['social']:.4f}", "50.0000",
                (markov["social"] - 50) / 50),
            row("MARKOV", "web", 6 / 7, f"{markov['web']:.4f}"),
        ],
    }


async def test_every_model_hands_out_exactly_the_attributed_totals(world: Engine) -> None:
    data = await data_of(world, REPORT, {"kinds": ["DELIVERED", "OPEN", "CLICK"]})
    report = data["attributionComparison"]
    assert len(report["models"]) == 7
    assert (report["orders"], report["attributedConversions"]) == (4, 4.0)
    for model in report["models"]:
        rows = [r for r in report["rows"] if r["model"] == model]
        assert sum(r["conversions"] for r in rows) == pytest.approx(4.0, abs=1e-9)
        assert sum(float(r["revenue"]) for r in rows) == pytest.approx(175.49, abs=3e-4)
        assert sum(r["share"] for r in rows) == pytest.approx(1.0, abs=1e-9)


async def test_by_campaign_touches_without_campaign_keep_their_channel(world: Engine) -> None:
    data = await data_of(world, REPORT, {"models": ["LINEAR"], "groupBy": "CAMPAIGN",
                                         **MARCH})
    assert rounded(data["attributionComparison"]["rows"]) == [
        row("LINEAR", "c1", 2 / 3, "26.6667", "10.0000", (80 / 3 - 10) / 10),
        row("LINEAR", "ps-brand", 1 / 3, "13.3333"),
        row("LINEAR", "sms-weekly", 0, "0.0000"),
        row("LINEAR", "social", 1, "99.9900"),
        row("LINEAR", "web", 1, "15.5000"),
    ]


async def test_journey_statistics(world: Engine) -> None:
    data = await data_of(world, JOURNEYS, MARCH)
    journeys = rounded(data["attribution"]["journeys"])
    empty = {"conversions": 0, "revenue": "0.0000", "share": 0.0}
    assert journeys == {
        "journeys": 6, "converting": 4, "ordersWithoutTouches": 1,
        "lengths": [
            {"length": 0, "journeys": 1, "conversions": 1, "revenue": "20.0000",
             "conversionRate": 1.0},
            {"length": 1, "journeys": 3, "conversions": 2, "revenue": "115.4900",
             "conversionRate": 0.666667},
            {"length": 2, "journeys": 1, "conversions": 0, "revenue": "0.0000",
             "conversionRate": 0.0},
            {"length": 3, "journeys": 1, "conversions": 1, "revenue": "40.0000",
             "conversionRate": 1.0},
        ],
        "timeToConvert": [
            {"label": "[0, 1) d", "lowerDays": 0.0, "upperDays": 1.0, **empty},
            {"label": "[1, 3) d", "lowerDays": 1.0, "upperDays": 3.0, "conversions": 3,
             "revenue": "155.4900", "share": 1.0},
            {"label": "[3, 7) d", "lowerDays": 3.0, "upperDays": 7.0, **empty},
            {"label": "[7, 14) d", "lowerDays": 7.0, "upperDays": 14.0, **empty},
            {"label": "[14, 30) d", "lowerDays": 14.0, "upperDays": 30.0, **empty},
            {"label": "[30, inf) d", "lowerDays": 30.0, "upperDays": None, **empty},
        ],
        "topPaths": [
            {"path": "web", "journeys": 2.0, "conversions": 1.0, "revenue": "15.5000",
             "conversionRate": 0.5},
            {"path": "paid > email > email", "journeys": 1.0, "conversions": 1.0,
             "revenue": "40.0000", "conversionRate": 1.0},
            {"path": "social", "journeys": 1.0, "conversions": 1.0, "revenue": "99.9900",
             "conversionRate": 1.0},
        ],
        "emailRole": {"convertingJourneys": 3.0, "touchedShare": 0.333333,
                      "initiatedShare": 0.0, "closedShare": 0.333333, "assistedShare": 0.0,
                      "meanEmailTouches": 0.666667},
    }


async def test_intervals_bracket_the_point_estimates(world: Engine) -> None:
    query = """{ attribution(model: MARKOV, intervals: true, resamples: 50) {
      rows { key conversions conversionsLower conversionsUpper revenue revenueLower
             revenueUpper } } }"""
    first = await data_of(world, query)
    again = await data_of(world, query)
    assert first == again  # seeded: the same intervals every time
    rows = first["attribution"]["rows"]
    for r in rows:
        # a resample may draw a journey more than once, so bounds may pass the totals
        assert 0 <= r["conversionsLower"] <= r["conversionsUpper"]
        assert 0 <= float(r["revenueLower"]) <= float(r["revenueUpper"])
    assert sum(r["conversions"] for r in rows) == pytest.approx(3.0, abs=1e-9)
    sms = next(r for r in rows if r["key"] == "sms")  # never on a converting journey
    assert (sms["conversionsLower"], sms["conversionsUpper"]) == (0.0, 0.0)


async def test_empty_period_reports_zero(world: Engine) -> None:
    data = await data_of(world, JOURNEYS.replace("LAST_TOUCH", "SHAPLEY"),
                         {"from": "2027-01-01T00:00:00Z"})
    journeys = data["attribution"]["journeys"]
    assert (journeys["journeys"], journeys["converting"], journeys["topPaths"]) == (0, 0, [])
    assert journeys["emailRole"]["convertingJourneys"] == 0


CAMPAIGN_REVENUE = """
query ($kinds: [EmailTouchKind!]) {
  campaigns(first: 10, orderBy: {field: ID, direction: ASC}) {
    edges { node { id linear: attributedRevenue(model: LINEAR, emailKinds: $kinds)
                   last: attributedRevenue(model: LAST_TOUCH, emailKinds: $kinds) } }
  }
}
"""


async def test_campaign_attributed_revenue_computed_once_per_model(
        world: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[tuple[str, str]]] = []
    real = schema.loaders.campaign_attribution

    def spy(engine: Engine, keys: list[tuple[Any, ...]]) -> list[tuple[float, float]]:
        calls.append([(key[0], key[1]) for key in keys])
        return real(engine, keys)

    monkeypatch.setattr(schema.loaders, "campaign_attribution", spy)
    data = await data_of(world, CAMPAIGN_REVENUE)
    assert data["campaigns"]["edges"] == [
        {"node": {"id": "c1", "linear": "26.6667", "last": "40.0000"}},
        {"node": {"id": "c2", "linear": "0.0000", "last": "0.0000"}},
    ]
    assert calls == [[("c1", "linear"), ("c1", "last_touch"), ("c2", "linear"),
                      ("c2", "last_touch")]]
    # deliveries count: o4 is c2's alone, and o1 gains c1's delivery (3 of its 4 steps)
    data = await data_of(world, CAMPAIGN_REVENUE, {"kinds": ["DELIVERED", "OPEN", "CLICK"]})
    assert data["campaigns"]["edges"] == [
        {"node": {"id": "c1", "linear": "30.0000", "last": "40.0000"}},
        {"node": {"id": "c2", "linear": "20.0000", "last": "20.0000"}},
    ]


@pytest.mark.parametrize(("arguments", "message"), [
    ('from: "2026-04-01T00:00:00Z", to: "2026-03-01T00:00:00Z"',
     "from (2026-04-01T00:00:00+00:00) must be before to (2026-03-01T00:00:00+00:00); swap "
     "them or widen the period"),
    ("lookbackDays: 0", "lookbackDays must be > 0 and at most 3650, got 0.0; 30 looks back "
                        "a month"),
    # Found by fuzzing (tests/server/test_app.py): a billion days overflowed a timedelta.
    ("lookbackDays: 1e9", "lookbackDays must be > 0 and at most 3650, got 1000000000.0; 30 "
                          "looks back a month"),
    ("halfLifeDays: -1", "halfLifeDays must be > 0, got -1.0; 7 halves a touch's weight "
                         "every week"),
    ("positionWeights: {first: 0.5, middle: 0.5, last: 0.5}",
     "positionWeights first=0.5, middle=0.5, last=0.5 must be >= 0 and sum to 1, e.g. 0.4, "
     "0.2, 0.4"),
    ("emailKinds: []", "emailKinds is empty; pick at least one of DELIVERED, OPEN, CLICK"),
    ("intervals: true, resamples: 0", "resamples must be between 1 and 1000, got 0"),
])
async def test_invalid_arguments_name_the_field_and_the_fix(world: Engine, arguments: str,
                                                            message: str) -> None:
    result = await run(world, f"{{ attribution(model: LINEAR, {arguments}) {{ orders }} }}")
    assert messages_of(result) == [message]


async def test_unknown_model_and_role(world: Engine) -> None:
    result = await run(world, "{ attribution(model: U_SHAPED) { orders } }")
    assert messages_of(result) == [
        "Value 'U_SHAPED' does not exist in 'AttributionModel' enum. Did you mean the enum "
        "value 'SHAPLEY'?"]
    result = await run(world, "{ attributionComparison { orders } }", user=INGEST)
    assert messages_of(result) == [
        "'attributionComparison' needs the viewer role (or admin); the key 'ingest key' has "
        "the ingest role. Ask an admin for a key with the viewer role."]


ATTRIBUTE_PATHS = """
query ($paths: [PathInput!], $text: String, $models: [AttributionModel!]) {
  attributePaths(paths: $paths, text: $text, models: $models) {
    models paths totalConversions totalValue totalNulls
    rows { model key conversions value share }
  }
}
"""
PATH_TEXT = ("path;total_conversions;total_conversion_value;total_null\n"
             "email > paid > web;120;5400.0;880\nweb;10;100;50\nemail;5;50;500\n")


async def test_attribute_paths_text_and_list_agree(world: Engine) -> None:
    from_text = await data_of(world, ATTRIBUTE_PATHS, {"text": PATH_TEXT,
                                                       "models": ["FIRST_TOUCH", "LINEAR"]})
    from_list = await data_of(world, ATTRIBUTE_PATHS, {"models": ["FIRST_TOUCH", "LINEAR"],
                                                       "paths": [
        {"path": ["email", "paid", "web"], "conversions": 120, "value": 5400, "nulls": 880},
        {"path": ["web"], "conversions": 10, "value": 100, "nulls": 50},
        {"path": ["email"], "conversions": 5, "value": 50, "nulls": 500}]})
    assert from_text == from_list
    result = rounded(from_text["attributePaths"])
    share = 1 / 135
    assert result == rounded({
        "models": ["FIRST_TOUCH", "LINEAR"], "paths": 3, "totalConversions": 135.0,
        "totalValue": 5550.0, "totalNulls": 1430.0,
        "rows": [
            {"model": "FIRST_TOUCH", "key": "email", "conversions": 125.0, "value": 5450.0,
             "share": 125 * share},
            {"model": "FIRST_TOUCH", "key": "paid", "conversions": 0.0, "value": 0.0,
             "share": 0.0},
            {"model": "FIRST_TOUCH", "key": "web", "conversions": 10.0, "value": 100.0,
             "share": 10 * share},
            {"model": "LINEAR", "key": "email", "conversions": 45.0, "value": 1850.0,
             "share": 45 * share},
            {"model": "LINEAR", "key": "paid", "conversions": 40.0, "value": 1800.0,
             "share": 40 * share},
            {"model": "LINEAR", "key": "web", "conversions": 50.0, "value": 1900.0,
             "share": 50 * share},
        ]})


async def test_attribute_paths_defaults_to_every_path_model(world: Engine) -> None:
    data = await data_of(world, ATTRIBUTE_PATHS, {"text": PATH_TEXT})
    assert data["attributePaths"]["models"] == ["FIRST_TOUCH", "LAST_TOUCH", "LINEAR",
                                                "POSITION_BASED", "MARKOV", "SHAPLEY"]


@pytest.mark.parametrize(("variables", "message"), [
    ({}, "pass exactly one of paths (a list) or text (path-file lines "
         "'path;total_conversions;total_conversion_value;total_null')"),
    ({"text": "email > web;x;1;0\n"},
     "text: line 1, column total_conversions: 'x' is not a number >= 0; write a plain "
     "decimal such as 120 or 5400.0 (a header row must read "
     "path;total_conversions;total_conversion_value;total_null)"),
    ({"paths": [{"path": ["email"], "conversions": 1},
                {"path": ["email", " "], "conversions": 1}]},
     "paths[1].path: ['email', ' '] has no steps or an empty step; name every channel, "
     "e.g. [\"email\", \"web\"]"),
    ({"paths": [{"path": ["email"], "conversions": -1}]},
     "paths[0].conversions: -1.0 must be a number >= 0"),
    ({"text": PATH_TEXT, "models": ["TIME_DECAY"]},
     "models: TIME_DECAY needs each touch's time, which paths do not carry; drop it (the "
     "attribution query runs it on stored journeys)"),
])
async def test_attribute_paths_errors(world: Engine, variables: dict[str, Any],
                                      message: str) -> None:
    result = await run(world, ATTRIBUTE_PATHS, variables)
    assert messages_of(result) == [message]
