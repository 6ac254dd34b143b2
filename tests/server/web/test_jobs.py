"""The jobs page: progress bars, polling while unfinished, the rebuild button."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import select
from starlette.testclient import TestClient

from server.db.engine import session_scope
from server.db.models import JobRun
from tests.server.web.conftest import log_in

HX = {"HX-Request": "true"}


def add_job(engine: Engine, **values: object) -> int:
    with session_scope(engine) as session:
        job = JobRun(actor="rebuild_rollups",
                     created_at=datetime(2026, 11, 1, 8, 0, tzinfo=UTC), **values)
        session.add(job)
        session.flush()
        return job.id


def test_running_job_polls(client: TestClient, engine: Engine, admin_key: str) -> None:
    job_id = add_job(engine, state="running", progress=0.4, detail="campaign 3 of 8")
    log_in(client, admin_key)
    page = client.get("/jobs")
    assert page.status_code == 200
    assert page.template == "jobs.html"
    assert page.context == {
        "jobs": [{"id": str(job_id), "actor": "rebuild_rollups", "state": "running",
                  "progress": 0.4, "detail": "campaign 3 of 8", "error": None,
                  "createdAt": "2026-11-01T08:00:00+00:00", "startedAt": None,
                  "finishedAt": None, "percent": 40}],
        "live": True, "new_job_id": None, "error": None, "can_run": True}
    assert page.text.startswith("<!doctype html>")
    fragment = client.get("/jobs", headers=HX).text
    assert fragment.startswith('<div id="jobs" class="card"')
    assert 'hx-get="/jobs" hx-trigger="every 1s" hx-swap="outerHTML"' in fragment
    assert f'<tr id="job-{job_id}" class="state-running">' in fragment
    assert 'aria-valuenow="40"' in fragment
    assert "campaign 3 of 8" in fragment


def test_finished_jobs_stop_polling(client: TestClient, engine: Engine,
                                    admin_key: str) -> None:
    add_job(engine, state="done", progress=1.0)
    add_job(engine, state="failed", progress=0.5, error="database is locked")
    log_in(client, admin_key)
    fragment = client.get("/jobs", headers=HX).text
    assert "every 1s" not in fragment
    assert '<span class="error-text">database is locked</span>' in fragment
    assert sorted(re.findall(r'aria-valuenow="(\d+)"', fragment)) == ["100", "50"]


def test_rebuild_button_enqueues_job(client: TestClient, engine: Engine,
                                     admin_key: str) -> None:
    token = log_in(client, admin_key)
    page = client.get("/jobs")
    assert page.context["can_run"] is True
    assert "Rebuild rollups" in page.text
    response = client.post("/jobs", headers={**HX, "X-CSRF-Token": token})
    assert response.status_code == 200
    with session_scope(engine) as session:
        jobs = session.exec(select(JobRun)).all()
    assert [job.actor for job in jobs] == ["rebuild_rollups"]
    assert f'<tr id="job-{jobs[0].id}" class="state-' in response.text
    assert re.search(rf'<tr id="job-{jobs[0].id}" class="state-\w+ new">', response.text)


def test_rebuild_form_post_redirects(client: TestClient, engine: Engine,
                                     admin_key: str) -> None:
    token = log_in(client, admin_key)
    response = client.post("/jobs", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    with session_scope(engine) as session:
        job_id = session.exec(select(JobRun)).one().id
    assert response.headers["location"] == f"/jobs?new={job_id}"


def test_viewer_cannot_rebuild(client: TestClient, engine: Engine, viewer_key: str) -> None:
    token = log_in(client, viewer_key)
    page = client.get("/jobs")
    assert page.context["can_run"] is False
    assert "Rebuild rollups" not in page.text
    response = client.post("/jobs", data={"csrf_token": token})
    assert response.status_code == 403
    assert "needs the analyst or admin role" in response.text
    with session_scope(engine) as session:
        assert session.exec(select(JobRun)).all() == []
