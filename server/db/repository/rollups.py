"""Campaign × variant × day counters, recomputed from the message table.

Ingestion calls ``refresh_rollups`` for the campaigns a batch touched, inside the same
transaction as the facts, so the rollups always equal a recomputation from messages.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, Engine, text, union
from sqlmodel import col, select

from server.db.models import ROLLUP_COUNTERS, CampaignDailyRollup, Message
from server.db.types import UTC_DAY_SQL

# The text of ``utc_day(sent_at)``: SQLite uses ix_message_campaign_day only when the
# grouping is spelled exactly as the index is.
_DAY = {name: spelling.format(column="sent_at") for name, spelling in UTC_DAY_SQL.items()}

_SELECT = """
SELECT campaign_id, variant_id, {day} AS day,
       COUNT(*) AS sent,
       COUNT(delivered_at) AS delivered,
       COUNT(bounced_at) AS bounced,
       SUM(CASE WHEN bounced_at IS NOT NULL AND bounce_type = 'hard' THEN 1 ELSE 0 END)
           AS hard_bounced,
       SUM(CASE WHEN bounced_at IS NOT NULL AND bounce_type <> 'hard' THEN 1 ELSE 0 END)
           AS soft_bounced,
       COUNT(first_open_at) AS unique_opens,
       COUNT(first_human_open_at) AS human_unique_opens,
       SUM(open_count) AS total_opens,
       COUNT(first_click_at) AS unique_clicks,
       SUM(click_count) AS total_clicks,
       COUNT(unsubscribed_at) AS unsubscribed,
       COUNT(complained_at) AS complained,
       SUM(conversions) AS conversions,
       SUM(revenue) AS revenue
FROM message
{where}
GROUP BY campaign_id, variant_id, {day}
"""

_COLUMNS = ("campaign_id", "variant_id", "day", *ROLLUP_COUNTERS, "revenue")

# Bound parameters per statement stay well under SQLite's limit.
_CHUNK = 500


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


def rollup_insert_sql(dialect_name: str, where: str = "") -> str:
    """The INSERT that recomputes ``rollup_campaign_day`` rows from the sends ``where``
    selects (all sends when empty)."""
    day = _DAY.get(dialect_name, _DAY["postgresql"])
    return (f"INSERT INTO rollup_campaign_day ({', '.join(_COLUMNS)}) "
            + _SELECT.format(day=day, where=where))


def refresh_rollups(connection: Connection, campaign_ids: Iterable[str] | None = None) -> int:
    """Recompute the rollup rows of ``campaign_ids`` (all campaigns when None).

    Runs on the caller's connection and transaction; returns the number of rows written.
    """
    dialect = connection.dialect.name
    if campaign_ids is None:
        connection.execute(text("DELETE FROM rollup_campaign_day"))
        result = connection.execute(text(rollup_insert_sql(dialect)))
        return result.rowcount or 0
    written = 0
    for chunk in _chunks(sorted(set(campaign_ids))):
        names = {f"c{i}": value for i, value in enumerate(chunk)}
        in_list = ", ".join(f":{name}" for name in names)
        connection.execute(
            # Safe SQL (S608): the ids are bound as :c0, :c1, ....
            text(f"DELETE FROM rollup_campaign_day WHERE campaign_id IN ({in_list})"), names)  # noqa: S608
        result = connection.execute(text(
            rollup_insert_sql(dialect, f"WHERE campaign_id IN ({in_list})")), names)
        written += result.rowcount or 0
    return written


def rollup_campaign_ids(*, engine: Engine) -> list[str]:
    """Campaigns with sends or day rollups, sorted: those only in the rollups lost all
    their messages, and their stale rows must go."""
    query = union(select(col(Message.campaign_id)), select(col(CampaignDailyRollup.campaign_id)))
    with engine.connect() as connection:
        return sorted(row[0] for row in connection.execute(query))
