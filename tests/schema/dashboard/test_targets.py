"""Targets: the query, setTargets/resetTargets for admins, refusals that name the metric,
and statuses that follow the stored targets."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.schema.conftest import ADMIN, ANALYST, data_of, messages_of, run
from tests.worlds.dashboard import load_world

TARGETS = "{ targets { warningBand defaultWarningBand metrics { metric target defaultTarget " \
          "isDefault higherIsBetter format minimum maximum } } }"
SET = """
mutation($input: TargetsInput!) { setTargets(input: $input) {
  __typename
  ... on TargetSettings { warningBand metrics { metric target isDefault } }
  ... on ValidationErrors { message errors { row column value message } }
} }
"""


async def test_defaults(db: Engine) -> None:
    data = await data_of(db, TARGETS)
    targets = data["targets"]
    assert (targets["warningBand"], targets["defaultWarningBand"]) == (0.1, 0.1)
    by_metric = {m["metric"]: m for m in targets["metrics"]}
    assert by_metric["OPEN_RATE"] == {
        "metric": "OPEN_RATE", "target": 0.22, "defaultTarget": 0.22, "isDefault": True,
        "higherIsBetter": True, "format": "PERCENT", "minimum": 0.0, "maximum": 1.0}
    assert by_metric["REVENUE_PER_EMAIL"]["maximum"] is None
    assert by_metric["BOUNCE_RATE"]["higherIsBetter"] is False
    assert [m["target"] for m in targets["metrics"]] == [
        0.98, 0.02, None, None, 0.22, None, 0.03, 0.15, 0.005, 0.001, 0.02, 0.5, None]


async def test_set_and_reset(db: Engine) -> None:
    data = await data_of(db, SET, {"input": {
        "targets": [{"metric": "OPEN_RATE", "target": 0.3},
                    {"metric": "HARD_BOUNCE_RATE", "target": 0.01},
                    {"metric": "CLICK_RATE", "target": None}],
        "warningBand": 0.2}}, user=ADMIN)
    result = data["setTargets"]
    assert result["__typename"] == "TargetSettings"
    assert result["warningBand"] == 0.2
    by_metric = {m["metric"]: m for m in result["metrics"]}
    assert by_metric["OPEN_RATE"] == {"metric": "OPEN_RATE", "target": 0.3, "isDefault": False}
    assert by_metric["HARD_BOUNCE_RATE"]["target"] == 0.01
    assert by_metric["CLICK_RATE"]["target"] is None
    assert by_metric["BOUNCE_RATE"] == {"metric": "BOUNCE_RATE", "target": 0.02,
                                        "isDefault": True}
    # A later change keeps the earlier ones.
    await data_of(db, SET, {"input": {"targets": [{"metric": "BOUNCE_RATE", "target": 0.03}]}},
                  user=ADMIN)
    stored = {m["metric"]: m["target"] for m in (await data_of(db, TARGETS))["targets"]["metrics"]}
    assert (stored["OPEN_RATE"], stored["BOUNCE_RATE"], stored["CLICK_RATE"]) == (0.3, 0.03, None)

    reset = await data_of(db, "mutation { resetTargets { warningBand metrics { target } } }",
                          user=ADMIN)
    assert reset["resetTargets"]["warningBand"] == 0.1
    assert reset["resetTargets"]["metrics"][4]["target"] == 0.22


async def test_refusals_name_the_metric_and_change_nothing(db: Engine) -> None:
    data = await data_of(db, SET, {"input": {
        "targets": [{"metric": "OPEN_RATE", "target": 1.5},
                    {"metric": "CLICK_RATE", "target": 0.04},
                    {"metric": "REVENUE_PER_EMAIL", "target": -1},
                    {"metric": "CLICK_RATE", "target": 0.05}],
        "warningBand": 1.0}}, user=ADMIN)
    result = data["setTargets"]
    assert result["__typename"] == "ValidationErrors"
    assert result["errors"] == [
        {"row": 1, "column": "target", "value": "1.5",
         "message": "target for open_rate must be between 0 and 1; got 1.5"},
        {"row": 3, "column": "target", "value": "-1.0",
         "message": "target for revenue_per_email must be at least 0; got -1.0"},
        {"row": 4, "column": "metric", "value": "click_rate",
         "message": "click_rate is listed twice (rows 2 and 4); keep one"},
        {"row": 0, "column": "warningBand", "value": "1.0",
         "message": "warning_band must be a number from 0 up to (not including) 1; got 1.0"},
    ]
    assert result["message"].startswith("Targets were not changed: target for open_rate")
    stored = (await data_of(db, TARGETS))["targets"]
    assert stored["metrics"][6]["target"] == 0.03 and stored["warningBand"] == 0.1


@pytest.mark.parametrize("mutation", [
    'mutation { setTargets(input: {targets: []}) { __typename } }',
    "mutation { resetTargets { warningBand } }"])
async def test_only_admins_change_targets(db: Engine, mutation: str) -> None:
    result = await run(db, mutation, user=ANALYST)
    assert "needs the admin role" in messages_of(result)[0]


async def test_statuses_follow_stored_targets(db: Engine) -> None:
    load_world(db)
    query = '{ dashboard(from: "2026-03-01", to: "2026-03-31") { summary { metrics { metric ' \
            "target status } } } }"

    async def open_rate() -> dict:
        board = (await data_of(db, query))["dashboard"]
        return next(m for m in board["summary"]["metrics"] if m["metric"] == "OPEN_RATE")

    assert await open_rate() == {"metric": "OPEN_RATE", "target": 0.22, "status": "GOOD"}
    # Open rate is 6/9: a 0.7 target with a 10% band makes it a warning, 0.8 bad.
    for target, status in ((0.7, "WARNING"), (0.8, "BAD"), (None, "NO_TARGET")):
        await data_of(db, SET, {"input": {"targets": [{"metric": "OPEN_RATE",
                                                       "target": target}]}}, user=ADMIN)
        assert await open_rate() == {"metric": "OPEN_RATE", "target": target,
                                     "status": status}
