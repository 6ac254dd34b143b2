"""``mailscope serve`` (and ``mailscope worker``) deployed as in production, under load:
the smoke version of bench/load.py. Its own PostgreSQL and Redis, two replicas and one
worker, ten GraphQL clients for a few seconds, then again while events are imported.
No timing is asserted: no request may fail and no event may be lost or doubled."""

from __future__ import annotations

import glob
import shutil

import pytest

from bench import load
from bench.harness.clients import MIX
from tests.conftest import IN_CI


def _services_installed() -> None:
    missing = [name for name, found in (
        ("PostgreSQL's initdb", glob.glob("/usr/lib/postgresql/*/bin/initdb")
         or shutil.which("initdb")),
        ("redis-server", shutil.which("redis-server"))) if not found]
    if missing and IN_CI:
        pytest.fail(f"{' and '.join(missing)} not installed in CI")
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed: the load smoke test needs its own")


def test_replicas_and_a_worker_serve_every_request_and_store_every_event() -> None:
    _services_installed()

    result = load.run(scale="XS", clients=10, seconds=3, events=500, shared_seconds=0,
                      replicas=2, workers=1)

    for tally in (result.steady, result.ingest):  # ten clients start with every kind
        assert dict(tally.errors) == {}
        assert set(tally.latencies) == set(MIX)
        assert dict(tally.rate_limited) == {}
    assert result.imported["events"] == 500
    assert {key: result.after[key] - result.before[key] for key in result.before} == \
        result.imported
    assert result.counts_exact
    assert "500 inserted" in result.import_output
    assert set(result.sampler.peak_rss) == {"replica-1", "replica-2", "worker-1"}
    assert result.sampler.peak_connections > 0
