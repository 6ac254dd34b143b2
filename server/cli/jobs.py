"""``mailscope worker`` and ``mailscope jobs``: run and inspect background jobs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Annotated

import typer

from server.cli.common import DatabaseUrl, fail, require_hashing_match, use_database

jobs_app = typer.Typer(help="Background jobs: list, inspect and run.", no_args_is_help=True)

StateOption = Annotated[str | None, typer.Option("--state", help="queued|running|done|failed")]


def worker(
    threads: Annotated[int, typer.Option(help="Worker threads per process.")] = 2,
    processes: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    database_url: DatabaseUrl = None,
) -> None:
    """Run Dramatiq worker processes for the Redis broker (MAILSCOPE_BROKER_URL)."""
    settings = use_database(database_url)
    if not settings.broker_url:
        raise fail("MAILSCOPE_BROKER_URL is not set: in embedded mode `mailscope serve` runs "
                   "the jobs itself. Set MAILSCOPE_BROKER_URL=redis://HOST:PORT/DB to use "
                   "separate workers.")
    require_hashing_match(settings)
    env = {**os.environ, "MAILSCOPE_DATABASE_URL": settings.database_url,
           "MAILSCOPE_BROKER_URL": settings.broker_url}
    # jobs.actors declares every actor, so workers know them all.
    command = [sys.executable, "-m", "dramatiq", "jobs.actors", "--processes",
               str(processes), "--threads", str(threads)]
    child = subprocess.Popen(command, env=env)  # noqa: S603  (fixed argv, no shell)

    def forward(signum: int, _frame: object) -> None:
        # dramatiq's own handler lets running jobs finish before its processes exit.
        child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    raise typer.Exit(child.wait())


def _show(job_id: int) -> dict[str, object]:
    from server.db.engine import session_scope
    from server.db.repository.jobs import get_job_run

    with session_scope() as session:
        job = get_job_run(session=session, job_id=job_id)
        if job is None:
            raise fail(f"no job with id {job_id}; `mailscope jobs list` shows the ids")
        return job.model_dump()


@jobs_app.command("list")
def list_jobs(state: StateOption = None, limit: int = 50,
              database_url: DatabaseUrl = None) -> None:
    """Recent job runs, newest first."""
    from server.db.engine import session_scope
    from server.db.models import JOB_STATES
    from server.db.repository.jobs import list_job_runs

    use_database(database_url)
    if state is not None and state not in JOB_STATES:
        raise fail(f"--state {state!r} is not a job state; use one of {', '.join(JOB_STATES)}")
    with session_scope() as session:
        rows = list_job_runs(session=session, state=state, limit=limit)
        typer.echo(f"{'id':>6}  {'actor':<20} {'state':<8} {'progress':>8}  created")
        for job in rows:
            typer.echo(f"{job.id:>6}  {job.actor:<20} {job.state:<8} {job.progress:>8.0%}  "
                       f"{job.created_at.isoformat(timespec='seconds')}")


@jobs_app.command("show")
def show(job_id: int, database_url: DatabaseUrl = None) -> None:
    """Every field of one job run."""
    use_database(database_url)
    for name, value in _show(job_id).items():
        typer.echo(f"{name}: {value}")


@jobs_app.command("run")
def run(actor: str,
        wait: Annotated[bool, typer.Option(help="Show progress until the job ends.")] = False,
        timeout: Annotated[float, typer.Option(help="Seconds to wait at most.")] = 3600.0,
        database_url: DatabaseUrl = None) -> None:
    """Enqueue ACTOR (e.g. rebuild_rollups); with --wait, follow it to the end."""
    settings = use_database(database_url)
    import jobs
    from jobs.broker import is_embedded

    workers = None
    if wait and is_embedded():
        from jobs import embedded

        workers = embedded.start(settings, recover=False)
    try:
        try:
            job_id = jobs.send(actor)
        except ValueError as error:
            raise fail(str(error)) from None
        typer.echo(f"job {job_id} queued: {actor}")
        if not wait:
            if is_embedded():
                typer.echo("embedded mode: a running `mailscope serve` picks it up")
            return
        state = _follow(job_id, timeout)
    finally:
        if workers is not None:
            workers.stop()
    if state != "done":
        raise typer.Exit(1)


def _follow(job_id: int, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    with typer.progressbar(length=1000, label=f"job {job_id}") as bar:
        shown = 0
        while True:
            job = _show(job_id)
            target = int(float(job["progress"]) * 1000)  # type: ignore[arg-type]
            bar.update(target - shown)
            shown = max(shown, target)
            if job["state"] in ("done", "failed"):
                break
            if time.monotonic() > deadline:
                raise fail(f"job {job_id} still {job['state']} after {timeout:.0f} s")
            time.sleep(0.2)
    if job["state"] == "failed":
        typer.secho(f"job {job_id} failed: {job['error']}", fg=typer.colors.RED, err=True)
    else:
        typer.echo(f"job {job_id} done: {job['detail']}")
    return str(job["state"])


def register(app: typer.Typer) -> None:
    app.command()(worker)
    app.add_typer(jobs_app, name="jobs")
