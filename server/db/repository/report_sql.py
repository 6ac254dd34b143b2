"""SQL shared by the breakdown rollups and the on-demand breakdowns: the counters of a
group of sends, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine

from server.db.models import ROLLUP_COUNTERS
from server.db.types import UTC_DAY_SQL

COUNTER_COLUMNS: tuple[str, ...] = (*ROLLUP_COUNTERS, "revenue", "converted",
                                    "recipient_value")

_DIALECT = {
    "sqlite": {"day": UTC_DAY_SQL["sqlite"].format(column="m.sent_at"),
               "hour": "CAST(strftime('%H', m.sent_at) AS INTEGER)", "float": "REAL"},
    "postgresql": {"day": UTC_DAY_SQL["postgresql"].format(column="m.sent_at"),
                   "hour": "CAST(EXTRACT(HOUR FROM (m.sent_at AT TIME ZONE 'UTC')) AS INTEGER)",
                   "float": "DOUBLE PRECISION"},
}

# The same definitions as ``rollup_campaign_day`` (server.db.repository.rollups), plus
# converting sends and the recipients' prior order value.
COUNTERS_SQL = """
       COUNT(*) AS sent, COUNT(m.delivered_at) AS delivered, COUNT(m.bounced_at) AS bounced,
       SUM(CASE WHEN m.bounced_at IS NOT NULL AND m.bounce_type = 'hard' THEN 1 ELSE 0 END)
           AS hard_bounced,
       SUM(CASE WHEN m.bounced_at IS NOT NULL AND m.bounce_type <> 'hard' THEN 1 ELSE 0 END)
           AS soft_bounced,
       COUNT(m.first_open_at) AS unique_opens,
       COUNT(m.first_human_open_at) AS human_unique_opens,
       SUM(m.open_count) AS total_opens, COUNT(m.first_click_at) AS unique_clicks,
       SUM(m.click_count) AS total_clicks, COUNT(m.unsubscribed_at) AS unsubscribed,
       COUNT(m.complained_at) AS complained, SUM(m.conversions) AS conversions,
       SUM(m.revenue) AS revenue,
       SUM(CASE WHEN m.conversions > 0 THEN 1 ELSE 0 END) AS converted,
       SUM(COALESCE(m.prior_value, 0)) AS recipient_value
"""


def dialect_sql(engine_or_name: Engine | str) -> dict[str, str]:
    """The day, hour and float expressions of the engine's database."""
    name = engine_or_name if isinstance(engine_or_name, str) else engine_or_name.dialect.name
    return _DIALECT["sqlite" if name == "sqlite" else "postgresql"]


def sends_sql(where: str) -> str:
    """The sends matching ``where`` (on alias ``m0``), each with ``prior_value``: the order
    value its recipient had before the send ("historical customer value")."""
    # Safe SQL (S608): WHERE is built by callers from code and bind marks.
    return ("(SELECT m0.*, (SELECT SUM(o.amount) FROM orders o "  # noqa: S608
            "WHERE o.customer_id = m0.customer_id AND o.occurred_at < m0.sent_at) "
            f"AS prior_value FROM message m0 WHERE {where}) m")


def bind_list(prefix: str, values: Sequence[str]) -> tuple[str, dict[str, str]]:
    """``:p0, :p1, ...`` for an IN list, and the parameters to bind."""
    params = {f"{prefix}{index}": value for index, value in enumerate(values)}
    return ", ".join(f":{name}" for name in params) or "NULL", params
