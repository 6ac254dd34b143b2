"""Campaign lookups the pages and reports share."""

from __future__ import annotations

from sqlmodel import Session, col, select

from server.db.models import Campaign


def campaign_types(*, session: Session) -> list[str]:
    """Every campaign type in use, sorted (campaigns without one left out)."""
    rows = session.exec(select(Campaign.campaign_type).distinct()
                        .where(col(Campaign.campaign_type).is_not(None))
                        .order_by(col(Campaign.campaign_type))).all()
    return [row for row in rows if row]
