"""Loading the demo world into a database through the regular ingestion path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from server.db.models import Campaign
from server.demo.generate import KINDS, DemoData, generate
from server.ingest import load_frame

# progress(kind, rows_done, rows_total) after each chunk of each kind.
Progress = Callable[[str, int, int], None]


def database_is_empty(engine: Engine) -> bool:
    """True when the database holds no campaign (the demo's "nothing loaded yet" test)."""
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Campaign)).one() == 0


def load_demo(engine: Engine, *, customers: int = 20000, campaigns: int | None = None,
              days: int = 180, seed: int = 7, progress: Progress | None = None) -> DemoData:
    """Generate the demo world and load every kind through ``server.ingest.load_frame``
    in dependency order. Returns what was generated (frames and truth)."""
    data = generate(customers=customers, campaigns=campaigns, days=days, seed=seed)
    for kind in KINDS:
        frame = data.frames[kind]
        report = load_frame(kind, frame, engine=engine,
                            progress=_for_kind(progress, kind, frame.height))
        if report.rejected:
            raise RuntimeError(f"demo {kind}: ingestion rejected {report.rejected} generated "
                               "rows; "
                               f"this is a generator bug, report: {report!r}")
        if progress is not None:
            progress(kind, frame.height, frame.height)
    return data


def load_demo_if_empty(engine: Engine, **kwargs: Any) -> bool:
    """Load the demo (``load_demo`` arguments) only into an empty database; True if loaded."""
    if not database_is_empty(engine):
        return False
    load_demo(engine, **kwargs)
    return True


def _for_kind(progress: Progress | None, kind: str, total: int) -> Any:
    if progress is None:
        return None

    def report(done: int, *_: Any) -> None:
        progress(kind, min(int(done), total), total)

    return report
