"""``mailscope triggers sweep`` and ``list``: the sweep decides due occasions once."""

from __future__ import annotations

from sqlalchemy import Engine
from typer.testing import CliRunner

from server.cli import app
from server.runners import triggers
from server.settings import Settings
from tests.server.runners.test_triggers import CART, END, SCENARIO, ingest, make

runner = CliRunner()


def test_sweep_twice_decides_once(settings: Settings, engine: Engine) -> None:
    ingest(engine, SCENARIO)
    make(engine, definition=CART, webhook_url="https://example.com/hook")
    first = runner.invoke(app, ["triggers", "sweep", "--as-of", END.isoformat()])
    assert (first.exit_code, first.output) == (0, "decided: 2 fired; 2 webhooks enqueued\n")
    again = runner.invoke(app, ["triggers", "sweep", "--as-of", END.isoformat()])
    assert again.output == "decided: no occasion due; 0 webhooks enqueued\n"
    listed = runner.invoke(app, ["triggers", "list"])
    assert listed.output == "1\tenabled\t0\tv1\tCart\n"
    triggers.archive_trigger(engine, 1)
    assert runner.invoke(app, ["triggers", "list"]).output == ""
    archived = runner.invoke(app, ["triggers", "list", "--archived"])
    assert archived.output == "1\tarchived\t0\tv1\tCart\n"


def test_sweep_refuses_a_bad_time(settings: Settings) -> None:
    result = runner.invoke(app, ["triggers", "sweep", "--as-of", "tomorrow"])
    assert result.exit_code == 1
    assert "--as-of 'tomorrow' is not an ISO time" in result.output
    naive = runner.invoke(app, ["triggers", "sweep", "--as-of", "2026-01-01T00:00:00"])
    assert naive.exit_code == 1 and "needs an offset" in naive.output
