"""The optimisation report of a campaign: the send hour that reaches most recipients at
their best hour, the best subject among alternatives, and whether a personal merge tag
helps, each with its expected improvement and confidence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import polars as pl
from sqlalchemy import Engine

from analytics.predictions.optimisation import (
    Recommendation,
    best_hour_lift,
    choice_recommendation,
    send_time_recommendation,
    utc_hours,
)
from analytics.predictions.send_time import local_sends
from server.db.repository import predictions as repo
from server.runners.subject_lines import score_subject_lines

PERSONAL_TAG = "{{first_name}}, "


@dataclass(frozen=True)
class OptimisationReport:
    campaign_id: str
    recipients: int
    subject_method: str
    best_hours_utc: list[int]  # recipients per best UTC hour on the campaign's date
    send_time: Recommendation
    subject: Recommendation
    personalisation: Recommendation


def optimize_campaign(engine: Engine, campaign_id: str,
                      subjects: Sequence[str]) -> OptimisationReport:
    """The report for ``campaign_id`` with ``subjects`` as the alternatives (the
    campaign's own subject is added when missing). Raises ``LookupError`` for an unknown
    campaign, ``ValueError`` when it has no recipients with a send time."""
    exists, send_at = repo.campaign_send(engine=engine, campaign_id=campaign_id)
    if not exists:
        raise LookupError(f"campaign {campaign_id!r} does not exist")
    recipients = repo.campaign_recipients(engine=engine, campaign_id=campaign_id)
    times = repo.send_time_frame(engine=engine).join(
        pl.DataFrame({"customer_id": recipients}), on="customer_id", how="semi")
    if times.is_empty():
        raise ValueError(f"campaign {campaign_id!r} has no recipients with a send time; "
                         "compute send times first (`mailscope score send-time`)")
    _, last = repo.data_span(engine=engine)
    moment = send_at or (last + timedelta(microseconds=1) if last is not None else None)
    if moment is None:
        raise ValueError("there is no data to optimise from")
    best_utc = utc_hours(times["best_hour"].to_list(), times["timezone"].to_list(), moment)
    inputs = repo.read_send_time_inputs(engine=engine)
    audience = inputs["audience"].join(times.select("customer_id"), on="customer_id",
                                       how="semi")
    local = local_sends(inputs["sends"].join(times.select("customer_id"), on="customer_id",
                                             how="semi"),
                        audience.select("customer_id", "timezone", segment="country"))
    lift = best_hour_lift(local, times.select("customer_id", best_send_hour="best_hour"))
    timing = send_time_recommendation(best_utc, times["own_weight"].to_numpy(),
                                      None if send_at is None else send_at.hour, lift)

    current = repo.campaign_subject(engine=engine, campaign_id=campaign_id)
    alternatives = list(dict.fromkeys(
        [s.strip() for s in subjects if s.strip()] + ([current] if current else [])))
    personal = [PERSONAL_TAG + s for s in alternatives if "{" not in s and "|*" not in s]
    scored = score_subject_lines(engine, alternatives + personal, campaign_id=campaign_id)
    rates = {s.subject: s.expected_open_rate for s in scored.scores}
    flags = {s.subject: s.personalised for s in scored.scores}
    options = [(s, rates[s]) for s in alternatives]
    subject = choice_recommendation(
        "subject", options, None if not current else (current, rates[current]),
        scored.recipients)
    best = subject.recommended
    if flags[best]:
        plain = [(s, r) for s, r in options if not flags[s]]
        personalisation = choice_recommendation(
            "personalisation", [("first name in the subject", rates[best])]
            + [("no personalisation", max(r for _, r in plain))] if plain else
            [("first name in the subject", rates[best])], None, scored.recipients)
    else:
        personalisation = choice_recommendation(
            "personalisation", [("first name in the subject", rates[PERSONAL_TAG + best]),
                                ("no personalisation", rates[best])],
            ("no personalisation", rates[best]), scored.recipients)
    hours = [int((best_utc == hour).sum()) for hour in range(24)]
    return OptimisationReport(campaign_id=campaign_id, recipients=times.height,
                              subject_method=scored.method, best_hours_utc=hours,
                              send_time=timing, subject=subject,
                              personalisation=personalisation)
