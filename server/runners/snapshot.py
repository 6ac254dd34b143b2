"""What every report starts from: day rollups, breakdown rollups, campaign facts and a
data version, read together at the start of a request.

The breakdown rollups (recipient domain × send hour, segment) are brought up to date
here: when the campaigns whose day rollups changed add up to few sends they are
recomputed inline; otherwise a ``refresh_report_rollups`` job is queued and reports show
those campaigns' previous breakdown rows until it finishes (``Snapshot.pending``).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import polars as pl
from sqlalchemy import Engine
from sqlmodel import Session

from server.db.repository import reports
from server.db.repository.jobs import unfinished_job_runs
from server.db.repository.report_rollups import (
    Staleness,
    campaign_fingerprints,
    drop_report_rollups,
    refresh_report_rollups,
    report_states,
    segment_stamp,
    staleness,
)
from server.runners.base import MEMO

log = logging.getLogger(__name__)

REFRESH_ACTOR = "refresh_report_rollups"
# Sends recomputed inside a request at most (about a second on SQLite at the medium
# scale, where a full refresh takes minutes); more go to the job.
INLINE_SENDS = 50_000


@dataclass(frozen=True)
class Snapshot:
    """``rollups``: day rollups; ``breakdowns``: counters per campaign × variant × day ×
    hour × recipient domain; ``segment_rollups``: per campaign × variant × day × segment.
    ``fingerprints`` identify each campaign's day-rollup state; ``pending`` lists the
    campaigns whose breakdown rows a job is still recomputing."""

    rollups: pl.DataFrame
    breakdowns: pl.DataFrame
    segment_rollups: pl.DataFrame
    campaigns: pl.DataFrame
    variants: pl.DataFrame
    segments: pl.DataFrame
    fingerprints: dict[str, str]
    stamp: str
    pending: tuple[str, ...]
    version: str


def _version(fingerprints: dict[str, str], states: dict[str, tuple[str, str, str]],
             stamp: str) -> str:
    # A digest of the data (the fingerprints hash every rollup row), not of process
    # state, so every replica reports the same version.
    digest = hashlib.blake2b(digest_size=8)
    digest.update(repr(sorted(fingerprints.items())).encode())
    digest.update(repr(sorted(states.items())).encode())
    digest.update(stamp.encode())
    return digest.hexdigest()


def _request_refresh(engine: Engine) -> None:
    from jobs.send import send

    with Session(engine) as session:
        running = any(job.actor == REFRESH_ACTOR
                      for job in unfinished_job_runs(session=session))
    if running:
        return
    try:
        send(REFRESH_ACTOR)
    except Exception:  # the broker is down: reports still work, with older breakdowns
        log.exception("could not queue %s", REFRESH_ACTOR)


def bring_up_to_date(engine: Engine, rollups: pl.DataFrame,
                     fingerprints: dict[str, str]) -> tuple[dict[str, tuple[str, str, str]], str,
                                                            Staleness]:
    """Refresh stale breakdown rows inline when few sends changed, else queue the job;
    returns the states, the segment stamp and what is still stale."""
    with engine.connect() as connection:
        states, stamp = report_states(connection), segment_stamp(connection)
    stale = staleness(fingerprints, states, stamp)
    if not stale.stale and not stale.gone:
        return states, stamp, stale
    sends = rollups.filter(pl.col("campaign_id").is_in(stale.stale))["sent"].sum()
    if sends > INLINE_SENDS:
        _request_refresh(engine)
        return states, stamp, stale
    with engine.begin() as connection:
        drop_report_rollups(connection, stale.gone)
        refresh_report_rollups(connection, stale.stale, fingerprints, stamp)
    with engine.connect() as connection:
        states = report_states(connection)
    return states, stamp, Staleness(stale=[], gone=[])


def read_snapshot(engine: Engine) -> Snapshot:
    """The snapshot of the database behind ``engine``."""
    rollups = reports.rollup_frame(engine=engine)
    fingerprints = campaign_fingerprints(rollups)
    states, stamp, stale = bring_up_to_date(engine, rollups, fingerprints)
    # The breakdown tables change only when states do, so they are read once per state.
    state_key = ("breakdowns", tuple(sorted(states.items())), stamp)
    breakdowns, segment_rollups = MEMO.of(engine, state_key, lambda: (
        reports.breakdown_rollup_frame(engine=engine),
        reports.segment_rollup_frame(engine=engine)))
    return Snapshot(rollups=rollups, breakdowns=breakdowns, segment_rollups=segment_rollups,
                    campaigns=reports.campaign_frame(engine=engine),
                    variants=reports.variant_frame(engine=engine),
                    segments=reports.segment_names(engine=engine),
                    fingerprints=fingerprints, stamp=stamp, pending=tuple(stale.stale),
                    version=_version(fingerprints, states, stamp))
