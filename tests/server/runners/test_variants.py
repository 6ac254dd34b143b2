"""Variant selection over the database: choices logged once per occasion with their
propensities, one customer on demand, and the report's estimates."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import lightgbm as lgb
import numpy as np
import polars as pl
import pytest
from sqlalchemy import Engine

from analytics.personalisation.variants import EPSILON, POLICY
from analytics.predictions import checksum
from analytics.predictions.engagement import ENGAGEMENT_FEATURES
from server.db.engine import session_scope
from server.db.models import ModelVersion
from server.db.repository import variants as repo
from server.db.repository.predictions import create_model_version
from server.ingest.load import load_frame
from server.runners import variants as runner
from tests.server.ingest.conftest import table_rows
from tests.worlds.shop import OPENED, load_shop


@pytest.fixture
def shop(engine: Engine) -> Engine:
    return load_shop(engine)


def _choices(engine: Engine) -> list[tuple]:
    return table_rows(engine, "SELECT customer_id, occasion, variant_id, propensity, "
                              "best_variant, policy, model_version FROM variant_choice "
                              "ORDER BY customer_id, occasion")


def test_selection_logs_every_customer_once(shop: Engine) -> None:
    progress: list[tuple[int, int]] = []
    result = runner.select(shop, runner.SelectParams(campaign_id="sel"),
                           progress=lambda done, total: progress.append((done, total)))

    assert (result.audience, result.chosen, result.already_logged) == (12, 12, 0)
    assert (result.method, result.model_version) == ("fallback", None)
    # Both variants are short of the minimum sample: every choice is uniform.
    assert result.exploration == 1.0
    assert progress == [(12, 12)]
    rows = _choices(shop)
    assert [row[0] for row in rows] == sorted(f"u{i}" for i in range(1, 13))
    assert {row[3] for row in rows} == {0.5} and {row[5] for row in rows} == {POLICY}
    # The personalised subject ({{first_name}}) is predicted better for everyone.
    assert {row[4] for row in rows} == {"B"}

    again = runner.select(shop, runner.SelectParams(campaign_id="sel"))
    assert (again.chosen, again.already_logged, again.method) == (0, 12, "none")
    assert _choices(shop) == rows


def test_a_new_occasion_chooses_again_and_one_customer_on_demand(shop: Engine) -> None:
    runner.select(shop, runner.SelectParams(campaign_id="sel"))
    first = runner.choose_for_customer(shop, "sel", "u1")
    assert first.occasion == "send" and first.variants == 2

    later = runner.choose_for_customer(shop, "sel", "fresh", occasion="reminder")
    assert later.customer_id == "fresh" and 0 < later.propensity <= 1
    assert runner.choose_for_customer(shop, "sel", "fresh", occasion="reminder").id == later.id
    assert len(_choices(shop)) == 13
    with pytest.raises(LookupError, match="customer 'ghost' does not exist"):
        runner.choose_for_customer(shop, "sel", "ghost")


def test_bad_requests_name_the_problem(shop: Engine) -> None:
    with pytest.raises(LookupError, match="campaign 'nope' does not exist"):
        runner.select(shop, runner.SelectParams(campaign_id="nope"))
    with pytest.raises(ValueError, match="has 1 variant"):
        runner.check_campaign(shop, "solo")
    with pytest.raises(ValueError, match="target 'buy' is unknown"):
        runner.select(shop, runner.SelectParams(campaign_id="sel", target="buy"))
    with pytest.raises(ValueError, match="occasion must be 1 to 64"):
        runner.select(shop, runner.SelectParams(campaign_id="sel", occasion=" "))
    assert _choices(shop) == []


def test_the_report_estimates_policies_from_choices_the_sends_followed(shop: Engine) -> None:
    runner.select(shop, runner.SelectParams(campaign_id="sel"))
    report = runner.report(shop, "sel")
    rows = table_rows(shop, "SELECT v.customer_id, v.variant_id, m.variant_id "
                            "FROM variant_choice v JOIN message m ON m.customer_id = "
                            "v.customer_id AND m.campaign_id = v.campaign_id")
    followed = [(who, chosen) for who, chosen, sent in rows if chosen == sent]
    opened = np.array([float(who in OPENED) for who, _ in followed])

    assert report.choices == 12 and report.outcomes == len(followed)
    by_variant = {row.variant: row for row in report.variants}
    assert sum(row.choices for row in report.variants) == 12
    for variant, row in by_variant.items():
        mine = [who for who, chosen in followed if chosen == variant]
        assert (row.sends, row.opens) == (len(mine), sum(who in OPENED for who in mine))
        assert row.mean_propensity == 0.5
    estimates = {(e.target, e.method): e for e in report.estimates}
    # Uniform logging: the uniform and logged policies estimate the observed rate.
    for key in (("uniform", "ips"), ("logged", "snips"), ("uniform", "snips")):
        assert estimates[key].value == pytest.approx(opened.mean())
    best = np.array([chosen == "B" for _, chosen in followed])
    assert estimates[("best_predicted", "ips")].value == pytest.approx(
        (best / 0.5 * opened).mean())
    assert estimates[("best_predicted", "snips")].value == pytest.approx(
        opened[best].mean())


def test_evidence_counts_only_sends_that_carried_the_choice(shop: Engine) -> None:
    runner.select(shop, runner.SelectParams(campaign_id="sel"))
    outcomes = repo.choice_outcomes(engine=shop, campaign_id="sel")
    arms = runner.evidence(outcomes, ["A", "B"], "click")
    assert [arm.successes for arm in arms] == [0, 0]
    assert sum(arm.sends for arm in arms) == runner.report(shop, "sel").outcomes
    assert EPSILON < 1


def _open_model(engine: Engine) -> int:
    """An active open model whose LightGBM booster prefers personalised subjects."""
    rng = np.random.default_rng(3)
    x = rng.random((400, len(ENGAGEMENT_FEATURES)))
    personalised = ENGAGEMENT_FEATURES.index("subject_personalised")
    x[:, personalised] = rng.integers(0, 2, 400)
    y = (rng.random(400) < 0.2 + 0.5 * x[:, personalised]).astype(float)
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_threads": 1,
                         "min_data_in_leaf": 20, "deterministic": True, "seed": 3},
                        lgb.Dataset(x, y, feature_name=list(ENGAGEMENT_FEATURES)),
                        num_boost_round=20)
    artifact = json.dumps({"kind": "open", "served": "lightgbm",
                           "features": list(ENGAGEMENT_FEATURES),
                           "booster": booster.model_to_string()}).encode()
    when = datetime(2026, 3, 1, tzinfo=UTC)
    with session_scope(engine) as session:
        row = create_model_version(session=session, version=ModelVersion(
            kind="open", served="lightgbm", reason="test", metrics="{}", calibration="[]",
            importance="[]", features="[]", train_cutoff=when, holdout_cutoff=when,
            data_to=when, horizon_days=7, train_rows=400, holdout_rows=0,
            artifact=artifact, checksum=checksum(artifact)))
        return row.id or 0


def test_an_active_open_model_predicts_each_customer_and_variant(shop: Engine) -> None:
    version = _open_model(shop)
    result = runner.select(shop, runner.SelectParams(campaign_id="sel"))

    assert (result.method, result.model_version) == ("model", version)
    rows = table_rows(shop, "SELECT best_variant, model_version, predicted FROM variant_choice")
    assert {row[0] for row in rows} == {"B"} and {row[1] for row in rows} == {version}
    assert all(0 < row[2] < 1 for row in rows)


def test_before_the_first_send_the_audience_is_every_customer(shop: Engine) -> None:
    load_frame("campaigns", pl.DataFrame({"campaign_id": ["next"], "name": ["Next"],
                                          "subject_line": ["Soon"]}), engine=shop)
    load_frame("variants", pl.DataFrame({"campaign_id": ["next", "next"],
                                         "variant_id": ["A", "B"],
                                         "subject_line": ["Soon", "Soon!"],
                                         "weight": ["1", "1"]}), engine=shop)
    result = runner.select(shop, runner.SelectParams(campaign_id="next"))
    assert (result.audience, result.chosen) == (13, 13)
