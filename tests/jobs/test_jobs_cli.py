"""``mailscope worker`` and ``mailscope jobs`` in embedded mode."""

from __future__ import annotations

from sqlalchemy import Engine
from typer.testing import CliRunner

from server.cli import app
from server.settings import Settings
from tests.jobs.actors.test_rollups import _corrupt, _rollups, _seed

runner = CliRunner()


def test_run_wait_list_and_show(settings: Settings, engine: Engine) -> None:
    _seed(engine)
    expected = _rollups(engine)
    _corrupt(engine)
    url = ["--database-url", settings.database_url]

    result = runner.invoke(app, ["jobs", "run", "rebuild_rollups", "--wait", *url])
    assert result.exit_code == 0, result.output
    assert "job 1 queued: rebuild_rollups" in result.output
    assert "job 1 done: pid " in result.output
    assert result.output.rstrip().endswith("121 campaigns, 240 rollup rows")
    assert _rollups(engine) == expected

    listed = runner.invoke(app, ["jobs", "list", "--state", "done", *url])
    assert listed.exit_code == 0, listed.output
    assert listed.output.splitlines()[1].split()[:4] == ["1", "rebuild_rollups", "done",
                                                          "100%"]
    shown = runner.invoke(app, ["jobs", "show", "1", *url])
    assert "state: done" in shown.output and "progress: 1.0" in shown.output


def test_errors_name_the_fix(settings: Settings) -> None:
    url = ["--database-url", settings.database_url]
    unknown = runner.invoke(app, ["jobs", "run", "nope", *url])
    assert unknown.exit_code == 1
    assert ("unknown job actor 'nope'; known actors: evaluate_triggers, experiment_webhook, "
            "rebuild_rollups" in unknown.output)
    missing = runner.invoke(app, ["jobs", "show", "42", *url])
    assert missing.exit_code == 1
    assert "no job with id 42" in missing.output
    bad_state = runner.invoke(app, ["jobs", "list", "--state", "finished", *url])
    assert bad_state.exit_code == 1 and "--state 'finished' is not a job state" in bad_state.output
    worker = runner.invoke(app, ["worker", *url], env={"MAILSCOPE_BROKER_URL": ""})
    assert worker.exit_code == 1
    assert "MAILSCOPE_BROKER_URL is not set" in worker.output
