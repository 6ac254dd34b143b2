"""Subject lines: score alternatives for a campaign (or a draft) with the active open
model or the feature-based fallback, and allocate sends across a campaign's variants by
Thompson sampling on its observed opens.

Blocking (SQL, polars, LightGBM); resolvers call it in threads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import polars as pl
from sqlalchemy import Engine
from sqlmodel import Session

from analytics.predictions import checksum, customer_features
from analytics.predictions.subject_lines import (
    Allocation,
    fallback_open_rates,
    open_model_rates,
    subject_features,
    thompson_allocation,
)
from server.db.repository import predictions as repo

MAX_SUBJECTS = 20
# A draft is scored on a seeded sample of the customers mailed in the last 90 days.
DRAFT_SAMPLE = 5_000
RECENT_DAYS = 90
# Open rate assumed when the recipients have no send history at all.
DEFAULT_OPEN_RATE = 0.2


@dataclass(frozen=True)
class SubjectScore:
    subject: str
    expected_open_rate: float
    rank: int
    length: int
    words: int
    personalised: bool
    urgency: int
    exclamation: int
    question: int


@dataclass(frozen=True)
class SubjectScores:
    """``method`` is ``open_model`` (``version_id``) or ``fallback``; ``reason`` says why."""

    method: str
    version_id: int | None
    reason: str
    recipients: int
    send_at: datetime
    scores: list[SubjectScore]


def _check_subjects(subjects: Sequence[str]) -> list[str]:
    cleaned = [subject.strip() for subject in subjects]
    if not cleaned or len(cleaned) > MAX_SUBJECTS:
        raise ValueError(f"subjects must hold 1 to {MAX_SUBJECTS} subject lines, got "
                         f"{len(cleaned)}")
    empty = [i for i, subject in enumerate(cleaned) if not subject]
    if empty:
        raise ValueError(f"subjects[{empty[0]}] is empty; write a subject line or drop it")
    return cleaned


def score_subject_lines(engine: Engine, subjects: Sequence[str], *,
                        campaign_id: str | None = None, send_at: datetime | None = None,
                        num_threads: int = 1) -> SubjectScores:
    """Expected open rate of each subject for the campaign's recipients (``campaign_id``)
    or, for a draft, a sample of recently mailed customers, sent at ``send_at`` (default:
    the campaign's send time, else the latest data). Raises ``LookupError`` for an
    unknown campaign and ``ValueError`` for bad subjects."""
    cleaned = _check_subjects(subjects)
    if send_at is not None and send_at.tzinfo is None:
        raise ValueError(f"sendAt {send_at.isoformat()} has no timezone; add one, e.g. "
                         "2026-06-01T09:00:00Z")
    inputs = repo.read_inputs(engine=engine)
    _, last = repo.data_span(engine=engine)
    now = (last + timedelta(microseconds=1)) if last is not None else None
    if campaign_id is not None:
        exists, planned = repo.campaign_send(engine=engine, campaign_id=campaign_id)
        if not exists:
            raise LookupError(f"campaign {campaign_id!r} does not exist; pass an existing "
                              "campaignId or leave it out to score a draft")
        send_at = send_at or planned
        recipients = repo.campaign_recipients(engine=engine, campaign_id=campaign_id)
    else:
        recipients = None
    moment = send_at or now
    if moment is None:
        raise ValueError("there is no data and no sendAt; pass sendAt to score a draft")
    cutoff = min(moment, now) if now is not None else moment
    features = customer_features(inputs["customers"], inputs["orders"], inputs["messages"],
                                 cutoff=cutoff)
    if recipients is not None:
        features = features.join(pl.DataFrame({"customer_id": recipients}), on="customer_id",
                                 how="semi")
    else:
        features = features.filter(pl.col("sends_90d") > 0)
        if features.height > DRAFT_SAMPLE:
            features = features.sample(DRAFT_SAMPLE, seed=7).sort("customer_id")
    previous = repo.previous_send(engine=engine, before=moment)
    hours_since = (None if previous is None
                   else (moment - previous).total_seconds() / 3600)
    table = subject_features(cleaned, send_hour=moment.hour,
                             send_weekday=moment.isoweekday(),
                             hours_since_previous=hours_since)
    with Session(engine, expire_on_commit=False) as session:
        version = repo.active_version(session=session, kind="open")
    rates, why = None, "no active open model (train one with `mailscope train open`)"
    if version is not None and checksum(version.artifact) != version.checksum:
        why = (f"open model version {version.id}: the artifact does not match its "
               "checksum; retrain the open model")
    elif version is not None:
        rates = open_model_rates(version.artifact, features, table, num_threads=num_threads)
        why = (f"open model version {version.id} serves its baseline, which does not look "
               "at the subject" if version.served != "lightgbm" else
               "no recipients with features to score the open model on")
    if rates is not None and version is not None:
        method, version_id = "open_model", version.id
        reason = f"open model version {version.id} (LightGBM) on {features.height:,} recipients"
    else:
        sends = float(features["sends_90d"].sum()) if features.height else 0.0
        opened = float(features["opens_90d"].sum()) if features.height else 0.0
        base = (opened + 1) / (sends + 1 / DEFAULT_OPEN_RATE) if sends else DEFAULT_OPEN_RATE
        rates = fallback_open_rates(table, min(max(base, 0.001), 0.999))
        method, version_id = "fallback", None
        reason = (f"{why}: the recipients' recent open rate ({base:.1%}) moved by the "
                  "subject's features")
    order = np.argsort(-rates, kind="stable")
    rank = np.empty(len(rates), dtype=np.int64)
    rank[order] = np.arange(1, len(rates) + 1)
    scores = [SubjectScore(
        subject=cleaned[i], expected_open_rate=float(rates[i]), rank=int(rank[i]),
        length=int(table["subject_length"][i]), words=int(table["subject_words"][i]),
        personalised=bool(table["subject_personalised"][i]),
        urgency=int(table["subject_urgency"][i]),
        exclamation=int(table["subject_exclamation"][i]),
        question=int(table["subject_question"][i])) for i in range(len(cleaned))]
    return SubjectScores(method=method, version_id=version_id, reason=reason,
                         recipients=features.height, send_at=moment, scores=scores)


def allocate_variants(engine: Engine, campaign_id: str) -> list[Allocation]:
    """Thompson-sampling shares of the next sends across the campaign's variants, from
    their people's opens so far (seeded, so the same data gives the same shares)."""
    exists, _ = repo.campaign_send(engine=engine, campaign_id=campaign_id)
    if not exists:
        raise LookupError(f"campaign {campaign_id!r} does not exist")
    counts = repo.variant_opens(engine=engine, campaign_id=campaign_id)
    if counts.is_empty():
        raise ValueError(f"campaign {campaign_id!r} has no delivered sends yet; allocate "
                         "after the first sends are delivered")
    return thompson_allocation(counts["variant_id"].to_list(), counts["sends"].to_list(),
                               counts["opens"].to_list())
