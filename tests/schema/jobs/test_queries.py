"""The jobs and job queries."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.schema.conftest import data_of


async def test_jobs_newest_first_and_by_state(world: Engine) -> None:
    data = await data_of(world, "{ jobs(first: 5) { totalCount edges { node { id actor state "
                                "progress detail error createdAt startedAt finishedAt } } } }")
    assert data == {"jobs": {"totalCount": 2, "edges": [
        {"node": {"id": "2", "actor": "rebuild_rollups", "state": "QUEUED", "progress": 0.0,
                  "detail": None, "error": None, "createdAt": "2026-03-21T09:00:00+00:00",
                  "startedAt": None, "finishedAt": None}},
        {"node": {"id": "1", "actor": "rebuild_rollups", "state": "DONE", "progress": 1.0,
                  "detail": "4 campaigns", "error": None,
                  "createdAt": "2026-03-20T09:00:00+00:00",
                  "startedAt": "2026-03-20T09:00:00+00:00",
                  "finishedAt": "2026-03-20T10:00:00+00:00"}},
    ]}}
    done = await data_of(world, "{ jobs(first: 5, state: DONE) { edges { node { id } } } }")
    assert done == {"jobs": {"edges": [{"node": {"id": "1"}}]}}
    one = await data_of(world, '{ a: job(id: "1") { state } b: job(id: "x") { state } }')
    assert one == {"a": {"state": "DONE"}, "b": None}
