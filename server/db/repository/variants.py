"""Variant selection: a campaign's variants and audience, the logged choices, and the
outcomes of the sends that followed them."""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import Engine, insert
from sqlmodel import Session, col, select

from server.db.models import CampaignVariant, VariantChoice
from server.db.repository.frames import query_frame
from server.db.repository.listing import page_of

# A logged choice joined with its campaign's delivered send to the customer (if any).
OUTCOMES_SQL = """
        SELECT v.customer_id, v.variant_id, v.variants, v.propensity, v.best_variant,
               m.variant_id,
               CASE WHEN m.first_human_open_at IS NOT NULL OR m.first_click_at IS NOT NULL
                    THEN 1 ELSE 0 END,
               CASE WHEN m.first_click_at IS NOT NULL THEN 1 ELSE 0 END
        FROM variant_choice v
        LEFT JOIN message m ON m.campaign_id = v.campaign_id
             AND m.customer_id = v.customer_id AND m.delivered_at IS NOT NULL
        WHERE v.campaign_id = :id
        ORDER BY v.customer_id, v.occasion"""
OUTCOME_SCHEMA: dict[str, pl.DataType] = {
    "customer_id": pl.String(), "variant_id": pl.String(), "variants": pl.Int64(),
    "propensity": pl.Float64(), "best_variant": pl.String(), "sent_variant": pl.String(),
    "opened": pl.Int64(), "clicked": pl.Int64()}


def campaign_variants(*, session: Session, campaign_id: str) -> list[CampaignVariant]:
    """The campaign's variants, by id."""
    return list(session.exec(select(CampaignVariant)
                             .where(CampaignVariant.campaign_id == campaign_id)
                             .order_by(col(CampaignVariant.variant_id))).all())


def campaign_audience(*, engine: Engine, campaign_id: str) -> list[str]:
    """The customers the campaign was sent to; every customer when it has no sends yet."""
    sent = query_frame(engine, "SELECT DISTINCT customer_id FROM message WHERE campaign_id "
                       "= :id ORDER BY customer_id", {"id": campaign_id},
                       {"customer_id": pl.String()})
    if not sent.is_empty():
        return sent["customer_id"].to_list()
    everyone = query_frame(engine, "SELECT customer_id FROM customer ORDER BY customer_id",
                           {}, {"customer_id": pl.String()})
    return everyone["customer_id"].to_list()


def logged_customers(*, engine: Engine, campaign_id: str, occasion: str) -> set[str]:
    """The customers who already have a choice for this campaign and occasion."""
    frame = query_frame(engine, "SELECT customer_id FROM variant_choice WHERE campaign_id "
                        "= :id AND occasion = :occasion",
                        {"id": campaign_id, "occasion": occasion}, {"customer_id": pl.String()})
    return set(frame["customer_id"].to_list())


def insert_choices(*, engine: Engine, rows: list[dict[str, Any]]) -> int:
    """Insert new choices in one transaction (callers skip logged customers first)."""
    with engine.begin() as connection:
        connection.execute(insert(VariantChoice), rows)
    return len(rows)


def choice_outcomes(*, engine: Engine, campaign_id: str) -> pl.DataFrame:
    """Every logged choice of the campaign with the variant its send carried (null before
    the send) and whether a person opened or clicked it."""
    return query_frame(engine, OUTCOMES_SQL, {"id": campaign_id}, OUTCOME_SCHEMA)


def list_choices(*, session: Session, campaign_id: str, offset: int, first: int,
                 variant_id: str | None = None) -> tuple[list[VariantChoice], int]:
    """Up to ``first + 1`` of the campaign's logged choices from ``offset`` (by customer;
    the extra row tells there is a next page) and the total that match."""
    conditions = [col(VariantChoice.campaign_id) == campaign_id]
    if variant_id is not None:
        conditions.append(col(VariantChoice.variant_id) == variant_id)
    return page_of(session=session, model=VariantChoice, conditions=conditions,
                   order=[col(VariantChoice.customer_id), col(VariantChoice.occasion)],
                   offset=offset, first=first)


def get_choice(*, session: Session, campaign_id: str, customer_id: str,
               occasion: str) -> VariantChoice | None:
    return session.exec(select(VariantChoice).where(
        col(VariantChoice.campaign_id) == campaign_id,
        col(VariantChoice.customer_id) == customer_id,
        col(VariantChoice.occasion) == occasion)).first()
