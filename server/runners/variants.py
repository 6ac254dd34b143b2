"""Variant selection: choose a campaign variant for each customer of its audience (or one
customer on demand) with the engagement model's predictions and Thompson exploration,
log every choice with its propensity, and report the allocation with off-policy
estimates of the open rate under other policies.

Blocking (SQL, polars, LightGBM); resolvers call it in threads, the actor directly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import polars as pl
from sqlalchemy import Engine
from sqlmodel import Session

from analytics.personalisation import off_policy
from analytics.personalisation.variants import (
    POLICY,
    POLICY_VERSION,
    ArmEvidence,
    fallback_predictions,
    occasion_uniform,
    select_variants,
)
from analytics.predictions import checksum, customer_features
from analytics.predictions.subject_lines import (
    fallback_open_rates,
    pair_rates,
    subject_features,
)
from server.db.models import Customer, VariantChoice
from server.db.repository import predictions as prediction_repo
from server.db.repository import variants as repo
from server.db.types import utcnow

TARGETS = ("open", "click")
CHUNK = 5_000
MAX_OCCASION = 64
Progress = Callable[[int, int], None]


def _quiet(_done: int, _total: int) -> None:
    return None


@dataclass(frozen=True)
class SelectParams:
    campaign_id: str
    occasion: str = "send"
    target: str = "open"
    customers: tuple[str, ...] | None = None

    def validate(self) -> None:
        if self.target not in TARGETS:
            raise ValueError(f"target {self.target!r} is unknown; choose open or click")
        if not self.occasion.strip() or len(self.occasion) > MAX_OCCASION:
            raise ValueError(f"occasion must be 1 to {MAX_OCCASION} characters, e.g. send or "
                             "2026-11-02")


@dataclass(frozen=True)
class SelectionRun:
    """How a selection went: customers considered, newly chosen, already logged."""

    campaign_id: str
    occasion: str
    audience: int
    chosen: int
    already_logged: int
    method: str
    model_version: int | None
    exploration: float


def check_campaign(engine: Engine, campaign_id: str) -> None:
    """Raise ``LookupError`` for an unknown campaign and ``ValueError`` for one with fewer
    than two variants."""
    _variants(engine, campaign_id)


def _variants(engine: Engine, campaign_id: str,
              minimum: int = 2) -> tuple[list[str], list[str]]:
    exists, _ = prediction_repo.campaign_send(engine=engine, campaign_id=campaign_id)
    if not exists:
        raise LookupError(f"campaign {campaign_id!r} does not exist")
    with Session(engine) as session:
        rows = repo.campaign_variants(session=session, campaign_id=campaign_id)
    if len(rows) < minimum:
        raise ValueError(f"campaign {campaign_id!r} has {len(rows)} variant(s); variant "
                         "selection needs at least 2 (add variants with their subject lines)")
    return [row.variant_id for row in rows], [row.subject_line or "" for row in rows]


def evidence(outcomes: pl.DataFrame, variants: Sequence[str], target: str) -> list[ArmEvidence]:
    """Per variant: the sends that carried the chosen variant, and their opens (clicks)."""
    followed = outcomes.filter(pl.col("sent_variant") == pl.col("variant_id"))
    column = "opened" if target == "open" else "clicked"
    counts = followed.group_by("variant_id").agg(sends=pl.len(), wins=pl.col(column).sum())
    by = {row["variant_id"]: row for row in counts.iter_rows(named=True)}
    return [ArmEvidence(variant=v, sends=int(by[v]["sends"]) if v in by else 0,
                        successes=int(by[v]["wins"]) if v in by else 0) for v in variants]


def _predictions(engine: Engine, customers: list[str], subjects: list[str], target: str,
                 send_at: datetime | None) -> tuple[np.ndarray, str, int | None]:
    inputs = prediction_repo.read_inputs(engine=engine)
    _, last = prediction_repo.data_span(engine=engine)
    now = last + timedelta(microseconds=1) if last is not None else utcnow()
    moment = send_at or now
    features = customer_features(inputs["customers"], inputs["orders"], inputs["messages"],
                                 cutoff=min(moment, now))
    frame = pl.DataFrame({"customer_id": customers}, schema={"customer_id": pl.String()})
    features = frame.join(features, on="customer_id", how="left").fill_null(0.0)
    previous = prediction_repo.previous_send(engine=engine, before=moment)
    table = subject_features(subjects, send_hour=moment.hour, send_weekday=moment.isoweekday(),
                             hours_since_previous=None if previous is None
                             else (moment - previous).total_seconds() / 3600)
    with Session(engine, expire_on_commit=False) as session:
        version = prediction_repo.active_version(session=session, kind=target)
    if version is not None and checksum(version.artifact) == version.checksum:
        rates = pair_rates(version.artifact, features, table, kind=target)
        if rates is not None:
            return np.clip(rates, 1e-4, 1 - 1e-4), "model", version.id
    events = features["opens_90d" if target == "open" else "clicks_90d"].to_numpy()
    return (fallback_predictions(events, features["sends_90d"].to_numpy(),
                                 fallback_open_rates(table, 0.5)), "fallback", None)


def select(engine: Engine, params: SelectParams, *,
           progress: Progress = _quiet) -> SelectionRun:
    """Choose and log a variant for every customer of the campaign's audience (or
    ``params.customers``) without a choice for ``params.occasion``; customers already
    logged keep their choice (re-running changes nothing). Raises ``LookupError`` for an
    unknown campaign and ``ValueError`` for bad parameters."""
    params.validate()
    variants, subjects = _variants(engine, params.campaign_id)
    audience = (list(params.customers) if params.customers is not None
                else repo.campaign_audience(engine=engine, campaign_id=params.campaign_id))
    logged = repo.logged_customers(engine=engine, campaign_id=params.campaign_id,
                                   occasion=params.occasion)
    todo = sorted(set(audience) - logged)
    _, send_at = prediction_repo.campaign_send(engine=engine, campaign_id=params.campaign_id)
    if not todo:
        progress(1, 1)
        return SelectionRun(campaign_id=params.campaign_id, occasion=params.occasion,
                            audience=len(audience), chosen=0, already_logged=len(logged),
                            method="none", model_version=None, exploration=0.0)
    predicted, method, version = _predictions(engine, todo, subjects, params.target, send_at)
    arms = evidence(repo.choice_outcomes(engine=engine, campaign_id=params.campaign_id),
                    variants, params.target)
    uniforms = np.array([occasion_uniform(params.campaign_id, customer, params.occasion, 7)
                         for customer in todo])
    share = 0.0
    for start in range(0, len(todo), CHUNK):
        end = min(start + CHUNK, len(todo))
        selection = select_variants(predicted[start:end], arms, uniforms[start:end])
        share = selection.epsilon
        now = utcnow()
        rows = [{"campaign_id": params.campaign_id, "customer_id": todo[i],
                 "occasion": params.occasion, "variant_id": variants[int(c)],
                 "variants": len(variants),
                 "propensity": float(selection.propensities[j, int(c)]),
                 "predicted": float(predicted[i, int(c)]),
                 "best_variant": variants[int(selection.best[j])], "target": params.target,
                 "policy": POLICY, "policy_version": POLICY_VERSION,
                 "model_version": version, "chosen_at": now}
                for j, (i, c) in enumerate(zip(range(start, end), selection.chosen,
                                               strict=True))]
        repo.insert_choices(engine=engine, rows=rows)
        progress(end, len(todo))
    return SelectionRun(campaign_id=params.campaign_id, occasion=params.occasion,
                        audience=len(audience), chosen=len(todo), already_logged=len(logged),
                        method=method, model_version=version, exploration=share)


def choose_for_customer(engine: Engine, campaign_id: str, customer_id: str, *,
                        occasion: str = "send", target: str = "open") -> VariantChoice:
    """The logged choice for one customer, made now when there is none yet. Raises
    ``LookupError`` for an unknown campaign or customer."""
    with Session(engine) as session:
        if session.get(Customer, customer_id) is None:
            raise LookupError(f"customer {customer_id!r} does not exist")
    select(engine, SelectParams(campaign_id=campaign_id, occasion=occasion, target=target,
                                customers=(customer_id,)))
    with Session(engine) as session:
        row = repo.get_choice(session=session, campaign_id=campaign_id,
                              customer_id=customer_id, occasion=occasion)
    assert row is not None  # select just logged it, or it was logged before
    return row


def logged_choice(engine: Engine, campaign_id: str, customer_id: str, *,
                  occasion: str = "send") -> VariantChoice | None:
    """The choice already logged for one customer, or None; reading never chooses."""
    with Session(engine) as session:
        return repo.get_choice(session=session, campaign_id=campaign_id,
                               customer_id=customer_id, occasion=occasion)


def list_choices(engine: Engine, campaign_id: str, *, offset: int, first: int,
                 variant_id: str | None = None) -> tuple[list[VariantChoice], int]:
    with Session(engine) as session:
        return repo.list_choices(session=session, campaign_id=campaign_id, offset=offset,
                                 first=first, variant_id=variant_id)


@dataclass(frozen=True)
class VariantRow:
    variant: str
    subject_line: str
    choices: int
    mean_propensity: float | None
    sends: int
    opens: int
    open_rate: float | None


@dataclass(frozen=True)
class SelectionReport:
    """Allocation per variant, and per target policy its IPS and SNIPS estimates of the
    open rate from the logged choices whose sends followed them (``outcomes``)."""

    campaign_id: str
    choices: int
    outcomes: int
    variants: list[VariantRow]
    estimates: list[off_policy.Estimate]


def report(engine: Engine, campaign_id: str) -> SelectionReport:
    """The campaign's variant-selection report; raises ``LookupError`` for an unknown
    campaign."""
    variants, subjects = _variants(engine, campaign_id, minimum=0)
    outcomes = repo.choice_outcomes(engine=engine, campaign_id=campaign_id)
    followed = outcomes.filter(pl.col("sent_variant") == pl.col("variant_id"))
    rows = []
    for variant, subject in zip(variants, subjects, strict=True):
        mine = outcomes.filter(pl.col("variant_id") == variant)
        sent = followed.filter(pl.col("variant_id") == variant)
        opens = int(sent["opened"].sum())
        rows.append(VariantRow(
            variant=variant, subject_line=subject, choices=mine.height,
            mean_propensity=float(mine["propensity"].mean()) if mine.height else None,  # type: ignore[arg-type]
            sends=sent.height, opens=opens,
            open_rate=opens / sent.height if sent.height else None))
    propensity = followed["propensity"].to_numpy().astype(np.float64)
    reward = followed["opened"].to_numpy().astype(np.float64)
    estimates = []
    for target in off_policy.TARGETS:
        target_p = off_policy.target_probabilities(
            target, propensity=propensity, variants=followed["variants"].to_numpy(),
            chosen_is_best=(followed["variant_id"] == followed["best_variant"]).to_numpy())
        for method in (off_policy.ips, off_policy.snips):
            estimate = method(propensity, target_p, reward, target=target)
            if estimate is not None:
                estimates.append(estimate)
    return SelectionReport(campaign_id=campaign_id, choices=outcomes.height,
                           outcomes=followed.height, variants=rows, estimates=estimates)
