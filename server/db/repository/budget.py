"""Budget reads and writes: spend rows by month, the cost-type mapping, monthly plans,
alerts and the audit trail."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from server.db.models import BudgetAlert, BudgetAudit, BudgetCostType, BudgetPlan, Message
from server.db.repository.frames import read_table
from server.db.types import utcnow

SPEND_ROWS_SCHEMA = pl.Schema({"incurred_on": pl.Date, "category": pl.String,
                               "cost_type": pl.String, "vendor": pl.String,
                               "campaign_id": pl.String, "amount": pl.Float64,
                               "currency": pl.String})


def read_spend_rows(*, engine: Engine, start: date | None = None,
                    end: date | None = None) -> pl.DataFrame:
    """Spend rows incurred on days in ``[start, end)`` (``SPEND_ROWS_SCHEMA``) with a
    ``month`` column (the first day of the month), sorted by day and category."""
    real = "REAL" if engine.dialect.name == "sqlite" else "DOUBLE PRECISION"
    conditions = ["1 = 1"]
    # dates we format ourselves, never user text
    if start is not None:
        conditions.append(f"incurred_on >= '{start.isoformat()}'")
    if end is not None:
        conditions.append(f"incurred_on < '{end.isoformat()}'")
    # Safe SQL (S608): code columns; dates formatted by isoformat from date objects.
    sql = (f"SELECT incurred_on, category, cost_type, vendor, campaign_id, "  # noqa: S608
           f"CAST(amount AS {real}) AS amount, currency FROM spend "
           f"WHERE {' AND '.join(conditions)}")
    frame = read_table(engine, sql, schema=dict(SPEND_ROWS_SCHEMA))
    return (frame.with_columns(month=pl.col("incurred_on").dt.truncate("1mo"))
            .sort("incurred_on", "category", "vendor", nulls_last=True))


def count_sends(*, session: Session, start: datetime | None,
                end: datetime | None) -> int:
    """Emails sent in ``[start, end)``."""
    query = select(func.count()).select_from(Message).where(col(Message.sent_at).is_not(None))
    if start is not None:
        query = query.where(col(Message.sent_at) >= start)
    if end is not None:
        query = query.where(col(Message.sent_at) < end)
    return int(session.exec(query).one())


def cost_type_overrides(*, session: Session) -> dict[str, str]:
    """The edited cost type -> category mapping (defaults not included)."""
    return {row.cost_type: row.category for row in session.exec(select(BudgetCostType))}


def set_cost_type(*, session: Session, cost_type: str, category: str | None) -> None:
    """Map ``cost_type`` to ``category``; None removes the edit (the default applies)."""
    row = session.get(BudgetCostType, cost_type)
    if category is None:
        if row is not None:
            session.delete(row)
        return
    if row is None:
        session.add(BudgetCostType(cost_type=cost_type, category=category))
    else:
        row.category = category
        session.add(row)


def list_plans(*, session: Session, month: date | None = None) -> list[BudgetPlan]:
    """Plans of ``month`` (all months when None), by month then category."""
    query = select(BudgetPlan)
    if month is not None:
        query = query.where(BudgetPlan.month == month)
    return list(session.exec(query.order_by(col(BudgetPlan.month), col(BudgetPlan.category))))


def save_plan(*, session: Session, month: date, allocations: Mapping[str, Decimal],
              currency: str, actor: str) -> list[BudgetPlan]:
    """Set ``month``'s allocation per category (others of the month removed), in the
    caller's transaction; returns the month's plans."""
    existing = {p.category: p for p in list_plans(session=session, month=month)}
    for category, plan in existing.items():
        if category not in allocations:
            session.delete(plan)
    for category, amount in allocations.items():
        plan = existing.get(category) or BudgetPlan(
            month=month, category=category, allocated=amount, currency=currency)
        plan.allocated, plan.currency = amount, currency
        plan.updated_by, plan.updated_at = actor, utcnow()
        session.add(plan)
    session.flush()
    return list_plans(session=session, month=month)


def add_audit(*, session: Session, action: str, actor: str, detail: dict[str, Any]) -> None:
    """Record a budget change in the caller's transaction."""
    session.add(BudgetAudit(action=action, actor=actor,
                            detail=json.dumps(detail, sort_keys=True, default=str)))


def list_audit(*, session: Session, limit: int = 50) -> list[BudgetAudit]:
    """The latest audit entries, newest first."""
    query = select(BudgetAudit).order_by(col(BudgetAudit.id).desc()).limit(limit)
    return list(session.exec(query))


def raise_alert(*, session: Session, kind: str, category: str, month: date, value: float,
                threshold: float, message: str) -> tuple[BudgetAlert, bool]:
    """The open alert of this kind, category and month, updated, or a new one; True when
    it is new."""
    open_alert = session.exec(select(BudgetAlert).where(
        BudgetAlert.kind == kind, BudgetAlert.category == category,
        BudgetAlert.month == month, col(BudgetAlert.acknowledged_at).is_(None))).first()
    now = utcnow()
    if open_alert is not None:
        open_alert.value, open_alert.threshold = value, threshold
        open_alert.message, open_alert.last_seen_at = message, now
        session.add(open_alert)
        return open_alert, False
    alert = BudgetAlert(kind=kind, category=category, month=month, value=value,
                        threshold=threshold, message=message, raised_at=now, last_seen_at=now)
    session.add(alert)
    session.flush()
    return alert, True


def list_alerts(*, session: Session, include_acknowledged: bool = False,
                limit: int = 200) -> list[BudgetAlert]:
    """Alerts, newest first; open ones only unless ``include_acknowledged``."""
    query = select(BudgetAlert)
    if not include_acknowledged:
        query = query.where(col(BudgetAlert.acknowledged_at).is_(None))
    return list(session.exec(query.order_by(col(BudgetAlert.id).desc()).limit(limit)))


def acknowledge_alert(*, session: Session, alert_id: int, actor: str) -> BudgetAlert | None:
    """Mark the alert acknowledged by ``actor`` (kept as it was if already); None when
    there is no such alert."""
    alert = session.get(BudgetAlert, alert_id)
    if alert is None:
        return None
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = utcnow(), actor
        session.add(alert)
    return alert


def segment_revenue_per_member(*, engine: Engine) -> dict[str, float]:
    """Order revenue per member of each segment over all history (segments with members)."""
    real = "REAL" if engine.dialect.name == "sqlite" else "DOUBLE PRECISION"
    # Safe SQL (S608): only the dialect's REAL type name is spliced.
    sql = ("SELECT m.segment_id, COUNT(DISTINCT m.customer_id), "  # noqa: S608
           f"COALESCE(SUM(CAST(o.amount AS {real})), 0) FROM segment_member m "
           "LEFT JOIN orders o ON o.customer_id = m.customer_id GROUP BY m.segment_id")
    frame = read_table(engine, sql, schema={"segment": pl.String(), "members": pl.Int64(),
                                             "revenue": pl.Float64()})
    return {s: r / n for s, n, r in frame.iter_rows() if n}


def campaign_revenue(*, engine: Engine) -> pl.DataFrame:
    """``campaign_id, campaign_type, revenue``: each campaign's last-touch order revenue
    (campaigns without orders at zero)."""
    real = "REAL" if engine.dialect.name == "sqlite" else "DOUBLE PRECISION"
    # Safe SQL (S608): only the dialect's REAL type name is spliced.
    sql = ("SELECT c.campaign_id, c.campaign_type, "  # noqa: S608
           f"COALESCE(SUM(CAST(o.amount AS {real})), 0) FROM campaign c "
           "LEFT JOIN orders o ON o.attributed_campaign_id = c.campaign_id "
           "GROUP BY c.campaign_id, c.campaign_type")
    return read_table(engine, sql, schema={"campaign_id": pl.String(),
                                           "campaign_type": pl.String(),
                                           "revenue": pl.Float64()})
