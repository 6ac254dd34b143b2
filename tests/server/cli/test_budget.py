"""``mailscope budget``: report, optimize and alerts against the test database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from server.cli import app
from server.runners import budget as budget_runner
from server.settings import Settings
from tests.server.runners.budget_world import load_budget_world

runner = CliRunner()


@pytest.fixture
def world(engine: Engine) -> Engine:
    load_budget_world(engine)
    yield engine
    engine.dispose()


def _invoke(settings: Settings, *arguments: str):
    return runner.invoke(app, ["budget", *arguments, "--database-url", settings.database_url])


def test_report(world: Engine, settings: Settings) -> None:
    result = _invoke(settings, "report")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[2].split() == ["search", "1,520.00", "7,784.03", "412.1", "266.57", "0.99",
                                "0.78"]
    assert lines[-1] == "currency USD; 4 emails sent"


def test_optimize_and_its_refusals(world: Engine, settings: Settings) -> None:
    result = _invoke(settings, "optimize", "--total", "300", "--max-share", "0.8")
    assert result.exit_code == 0, result.output
    assert "predicted revenue" in result.output and "optimality checked" in result.output
    assert "warning: content: only 2 months" in result.output
    refused = _invoke(settings, "optimize", "--total", "300", "--max-share", "0.3")
    assert refused.exit_code == 1
    assert "infeasible (max_shares): the maximums add up to 270.00" in refused.output
    bad = _invoke(settings, "optimize", "--objective", "fame")
    assert bad.exit_code == 1 and "--objective 'fame' is unknown" in bad.output


def test_alerts(world: Engine, settings: Settings) -> None:
    budget_runner.save_plans(world, date(2026, 3, 1), {"search": Decimal(100)}, "USD", "ana")
    result = _invoke(settings, "alerts", "--as-of", "2026-03-10")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "1 new alerts, 0 still open"
    assert "high_burn_rate  search" in result.output
    bad = _invoke(settings, "alerts", "--as-of", "March")
    assert bad.exit_code == 1 and "--as-of 'March' is not a date" in bad.output
