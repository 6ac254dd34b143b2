"""Templates, personalisation rules, campaign template links, and the customer fields
templates read."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
from sqlalchemy import Engine, case, func, or_
from sqlmodel import Session, col, select

from server.db.models import (
    Campaign,
    CampaignTemplate,
    ContentTemplate,
    Customer,
    PersonalisationRule,
)
from server.db.repository.frames import read_table
from server.db.repository.listing import contains, page_of


def templates_page(*, session: Session, offset: int, first: int, kind: str | None = None,
                   search: str | None = None) -> tuple[list[ContentTemplate], int]:
    """A window of templates by name (of one kind, and/or with ``search`` in the name or
    source) and the total."""
    conditions = []
    if kind is not None:
        conditions.append(col(ContentTemplate.kind) == kind)
    if search and search.strip():
        conditions.append(or_(contains(ContentTemplate.name, search),
                              contains(ContentTemplate.source, search)))
    return page_of(session=session, model=ContentTemplate, conditions=conditions,
                   order=[col(ContentTemplate.name)], offset=offset, first=first)


def template_named(*, session: Session, name: str) -> ContentTemplate | None:
    return session.exec(select(ContentTemplate).where(ContentTemplate.name == name)).first()


def template_users(*, session: Session, template_id: int) -> list[str]:
    """The campaigns that send the template, by id."""
    return list(session.exec(select(CampaignTemplate.campaign_id)
                             .where(CampaignTemplate.template_id == template_id)
                             .order_by(col(CampaignTemplate.campaign_id))).all())


def campaign_templates(*, session: Session,
                       campaign_id: str) -> list[tuple[str, ContentTemplate]]:
    """The campaign's (kind, template) links."""
    rows = session.exec(select(CampaignTemplate.kind, ContentTemplate)
                        .join(ContentTemplate,
                              col(ContentTemplate.id) == col(CampaignTemplate.template_id))
                        .where(CampaignTemplate.campaign_id == campaign_id)).all()
    return [(kind, template) for kind, template in rows]


def link_template(*, session: Session, campaign_id: str, kind: str,
                  template_id: int | None) -> None:
    """Point the campaign's ``kind`` at ``template_id`` (None removes the link)."""
    link = session.get(CampaignTemplate, (campaign_id, kind))
    if template_id is None:
        if link is not None:
            session.delete(link)
        return
    if link is None:
        session.add(CampaignTemplate(campaign_id=campaign_id, kind=kind,
                                     template_id=template_id))
    else:
        link.template_id = template_id
        session.add(link)


def get_campaign(*, session: Session, campaign_id: str) -> Campaign | None:
    return session.get(Campaign, campaign_id)


def rules_page(*, session: Session, offset: int, first: int,
               enabled: bool | None = None,
               key: str | None = None) -> tuple[list[PersonalisationRule], int]:
    """A window of rules in the order they are tried (priority, then id) and the total."""
    conditions = []
    if enabled is not None:
        conditions.append(col(PersonalisationRule.enabled) == enabled)
    if key:
        conditions.append(col(PersonalisationRule.key) == key)
    rows = session.exec(select(PersonalisationRule).where(*conditions)
                        .order_by(col(PersonalisationRule.priority).desc(),
                                  col(PersonalisationRule.id))
                        .offset(offset).limit(first + 1)).all()
    total = session.exec(select(func.count()).select_from(PersonalisationRule)
                         .where(*conditions)).one()
    return list(rows), int(total)


def all_rules(*, session: Session) -> list[PersonalisationRule]:
    return list(session.exec(select(PersonalisationRule)
                             .order_by(col(PersonalisationRule.id))).all())


def customers_by_id(*, session: Session, customer_ids: Sequence[str]) -> dict[str, Customer]:
    rows = session.exec(select(Customer)
                        .where(col(Customer.customer_id).in_(list(customer_ids)))).all()
    return {row.customer_id: row for row in rows}


def customer_field_gaps(*, session: Session) -> tuple[int, dict[str, int]]:
    """How many customers there are, and how many have each name and place field empty
    (null or blank)."""
    columns = ("first_name", "last_name", "country", "timezone")
    empty = [func.coalesce(func.sum(case(
        (func.length(func.trim(func.coalesce(getattr(Customer, name), ""))) == 0, 1),
        else_=0)), 0) for name in columns]
    row = session.execute(select(func.count(), *empty).select_from(Customer)).one()
    return int(row[0]), {name: int(row[i + 1]) for i, name in enumerate(columns)}


CUSTOMER_FIELDS_SCHEMA: dict[str, pl.DataType] = {
    "customer_id": pl.String(), "first_name": pl.String(), "timezone": pl.String()}


def customer_fields_frame(*, engine: Engine) -> pl.DataFrame:
    """Every customer's id, first name and time zone (what rule conditions read besides
    the profile and the scores)."""
    return read_table(engine, "SELECT customer_id, first_name, timezone FROM customer "
                              "ORDER BY customer_id", schema=CUSTOMER_FIELDS_SCHEMA)
