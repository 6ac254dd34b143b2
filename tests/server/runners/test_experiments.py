"""The campaign experiment builder on the demo data, whose A/B variants have known true
open and click rates: the engine's intervals must cover the true differences."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session

from server.db.engine import engine_for
from server.demo import load_demo
from server.runners.experiments import analyze_campaign, load_campaign

TRUE_RATES = {"open_rate": "true_open_rate", "click_rate": "true_click_rate"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory,
         sqlite_template: Path) -> tuple[str, dict]:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    data = load_demo(engine_for(url), customers=3000, days=60)
    return url, data.truth["campaigns"]


def test_intervals_cover_the_true_differences(demo: tuple[str, dict]) -> None:
    url, truth = demo
    engine = engine_for(url)
    covered, misses, analysed = 0, [], 0
    for campaign_id, campaign in truth.items():
        if not campaign["ab_test"]:
            continue
        with Session(engine) as session:
            result = analyze_campaign(load_campaign(session, campaign_id),  # type: ignore[arg-type]
                                      now=datetime.now(UTC), draws=2_000)
        assert result.analysis is not None, (campaign_id, result.problem)
        analysed += 1
        families = dict(result.metrics)
        control = campaign["variants"][result.analysis.control]
        for metric, true_key in TRUE_RATES.items():
            for effect in families[metric].evidence:
                true = campaign["variants"][effect.variant][true_key] - control[true_key]
                if effect.difference_interval.contains(true):
                    covered += 1
                else:
                    misses.append((campaign_id, metric, effect.variant, true))
    total = covered + len(misses)
    # Holm-adjusted 95% intervals: about 5% (or fewer) may miss by chance. Observed with
    # seed 7, 3,000 customers, 60 days: 20 of 20 intervals (8 A/B campaigns, 10 variants).
    assert analysed >= 5 and total >= 15
    assert covered / total >= 0.8, misses
    engine.dispose()
