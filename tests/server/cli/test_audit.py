"""``mailscope audit`` lists the audit log, newest first, filtered."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine
from typer.testing import CliRunner

from server.cli import app
from server.db.repository.audit import audit
from server.settings import Settings

runner = CliRunner()


def test_lists_and_filters(settings: Settings, engine: Engine) -> None:
    url = ["--database-url", settings.database_url]
    audit(engine=engine, actor="alice", action="apikey.create", target="key 1 (etl)")
    audit(engine=engine, actor="bob", action="graphql.setTargets", outcome="refused",
          detail={"input": {"openRate": 0.2}})
    listed = runner.invoke(app, ["audit", *url])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert "graphql.setTargets" in lines[1] and "refused" in lines[1]
    assert "apikey.create" in lines[2] and "key 1 (etl)" in lines[2]
    only = runner.invoke(app, ["audit", "--action", "apikey", "--actor", "alice", *url])
    assert len(only.output.splitlines()) == 2
    since = datetime(2999, 1, 1, tzinfo=UTC).isoformat()
    assert len(runner.invoke(app, ["audit", "--since", since, *url]).output.splitlines()) == 1


def test_since_must_be_an_iso_time_with_a_zone(settings: Settings) -> None:
    url = ["--database-url", settings.database_url]
    bad = runner.invoke(app, ["audit", "--since", "yesterday", *url])
    assert bad.exit_code == 1 and "--since 'yesterday' is not an ISO time" in bad.output
    naive = runner.invoke(app, ["audit", "--since", "2026-01-01T00:00:00", *url])
    assert naive.exit_code == 1 and "has no time zone" in naive.output
