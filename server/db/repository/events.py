"""Email events: matching them to their message, appending them to the ledger and folding
the new ones into the message rows (first times and counts).

The ledger is keyed by event id, and only events not yet in it are folded, so a replayed
webhook or a re-imported file changes nothing. Folding takes minimums of times and adds
counts, which is order-independent: events may arrive in any order and in any batches.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from sqlalchemy import Connection, text

from server.db.repository import bulk
from server.db.repository.bulk import ROW, count, has_rows, is_sqlite
from server.db.repository.changes import next_sequence

LEDGER_COLUMNS = ("event_id", "type", "occurred_at", "message_id", "url", "user_agent",
                  "machine_open", "bounce_type")


@dataclass(frozen=True)
class Unmatched:
    row: int
    column: str
    value: str | None
    message: str


def resolve_messages(connection: Connection, stage: str,
                     prefold: Prefold | None = None) -> list[Unmatched]:
    """Find the message of every staged event and report the events that match none.

    An event names its message directly, or by campaign_id with customer_id or email;
    an event that also names a campaign or customer must agree with its message. With a
    ``prefold`` every event names its message, and the messages are looked up once each
    (in key order) instead of once per event.
    """
    problems: list[Unmatched] = []
    contradicts = ("(s.campaign_id IS NOT NULL AND s.campaign_id <> m.campaign_id) "
                   "OR (s.customer_id IS NOT NULL AND s.customer_id <> m.customer_id)")
    if prefold is None:
        _match_indirect(connection, stage, problems)
        # One lookup per event finds unknown messages and contradictions together.
        wanted = f"m.message_id IS NULL OR {contradicts}"
    else:
        # Safe SQL (S608): stage/table names and fragments are code constants.
        missing = (f"SELECT f.message_id FROM {prefold.table} f WHERE NOT EXISTS "  # noqa: S608
                   f"(SELECT 1 FROM message m WHERE m.message_id = f.message_id)")
        # Safe SQL (S608): stage/table names and fragments are code constants.
        if count(connection, f"SELECT count(*) FROM ({missing} LIMIT 1) x"):  # noqa: S608
            for row, message_id in connection.execute(text(
                    # Safe SQL (S608): stage/table names and fragments are code constants.
                    f'SELECT "{ROW}", message_id FROM {stage} WHERE message_id IN ({missing})')):  # noqa: S608
                problems.append(Unmatched(int(row), "message_id", message_id, _NO_MESSAGE))
        # Only events that also name a campaign or customer need their message's row.
        wanted = ("(s.campaign_id IS NOT NULL OR s.customer_id IS NOT NULL) "
                  f"AND m.message_id IS NOT NULL AND ({contradicts})")
    for row, message_id, campaign, customer, known, stored_campaign, stored_customer in (
            connection.execute(text(
                # Safe SQL (S608): stage/table names and fragments are code constants.
                f'SELECT s."{ROW}", s.message_id, s.campaign_id, s.customer_id, '  # noqa: S608
                f"m.message_id IS NOT NULL, m.campaign_id, m.customer_id "
                f"FROM {stage} s LEFT JOIN message m ON m.message_id = s.message_id "
                f"WHERE s.message_id IS NOT NULL AND ({wanted})"))):
        if not known:
            problems.append(Unmatched(int(row), "message_id", message_id, _NO_MESSAGE))
            continue
        for column, given, stored in (("campaign_id", campaign, stored_campaign),
                                      ("customer_id", customer, stored_customer)):
            if given is not None and given != stored:
                problems.append(Unmatched(int(row), column, given,
                                          f"the message belongs to {column} {stored!r}; "
                                          f"fix the {column} or the message_id"))
    problems.sort(key=lambda problem: problem.row)
    return problems


_NO_MESSAGE = "no message has this id; import the messages (sends) before their events"


def _match_indirect(connection: Connection, stage: str, problems: list[Unmatched]) -> None:
    """Fill in the message of events given by campaign with customer or email."""
    by_email = "message_id IS NULL AND customer_id IS NULL AND email IS NOT NULL"
    # Safe SQL (S608): stage/table names and fragments are code constants.
    if count(connection, f"SELECT count(*) FROM {stage} WHERE {by_email}"):  # noqa: S608
        connection.execute(text(
            # Safe SQL (S608): stage/table names and fragments are code constants.
            f"UPDATE {stage} SET customer_id = (SELECT c.customer_id FROM customer c "  # noqa: S608
            f"WHERE c.email = {stage}.email) WHERE {by_email}"))
        for row, value in connection.execute(text(
                # Safe SQL (S608): stage/table names and fragments are code constants.
                f'SELECT "{ROW}", email FROM {stage} WHERE {by_email}')):  # noqa: S608
            problems.append(Unmatched(int(row), "email", value,
                                      "no customer has this email; import the customer "
                                      "first or give message_id"))
    by_campaign = "message_id IS NULL AND campaign_id IS NOT NULL AND customer_id IS NOT NULL"
    # Safe SQL (S608): stage/table names and fragments are code constants.
    if count(connection, f"SELECT count(*) FROM {stage} WHERE {by_campaign}"):  # noqa: S608
        connection.execute(text(
            # Safe SQL (S608): stage/table names and fragments are code constants.
            f"UPDATE {stage} SET message_id = (SELECT MIN(m.message_id) FROM message m "  # noqa: S608
            f"WHERE m.campaign_id = {stage}.campaign_id "
            f"AND m.customer_id = {stage}.customer_id) WHERE {by_campaign}"))
        for row, campaign, customer in connection.execute(text(
                # Safe SQL (S608): stage/table names and fragments are code constants.
                f'SELECT "{ROW}", campaign_id, customer_id FROM {stage} '  # noqa: S608
                f"WHERE {by_campaign}")):
            problems.append(Unmatched(int(row), "campaign_id", campaign,
                                      f"campaign {campaign!r} was not sent to customer "
                                      f"{customer!r}; import the message first or give "
                                      "message_id"))


def drop_replays(connection: Connection, stage: str) -> int:
    """Remove staged events already in the ledger; returns how many were replays."""
    if not has_rows(connection, "email_event"):
        return 0
    return connection.execute(text(
        # Safe SQL (S608): stage/table names and fragments are code constants.
        f"DELETE FROM {stage} WHERE EXISTS "  # noqa: S608
        f"(SELECT 1 FROM email_event e WHERE e.event_id = {stage}.event_id)")).rowcount or 0


def _earliest(column: str, new: str) -> str:
    return (f"CASE WHEN message.{column} IS NULL THEN {new} WHEN {new} IS NULL THEN "
            f"message.{column} WHEN {new} < message.{column} THEN {new} "
            f"ELSE message.{column} END")


_AGGREGATE = """
SELECT message_id,
       MIN(CASE WHEN type = 'delivered' THEN occurred_at END) AS delivered_at,
       MIN(CASE WHEN type IN ('open', 'click') THEN occurred_at END) AS engaged_at,
       MIN(CASE WHEN type = 'bounce' THEN occurred_at END) AS bounced_at,
       MAX(CASE WHEN type = 'bounce' AND bounce_type = 'hard' THEN 1 ELSE 0 END) AS hard,
       MIN(CASE WHEN type = 'open' THEN occurred_at END) AS first_open_at,
       SUM(CASE WHEN type = 'open' THEN 1 ELSE 0 END) AS opens,
       SUM(CASE WHEN type = 'open' AND {machine} THEN 1 ELSE 0 END) AS machine_opens,
       MIN(CASE WHEN type = 'open' AND NOT ({machine}) THEN occurred_at END)
           AS first_human_open_at,
       MIN(CASE WHEN type = 'click' THEN occurred_at END) AS first_click_at,
       SUM(CASE WHEN type = 'click' THEN 1 ELSE 0 END) AS clicks,
       MIN(CASE WHEN type = 'unsubscribe' THEN occurred_at END) AS unsubscribed_at,
       MIN(CASE WHEN type = 'complaint' THEN occurred_at END) AS complained_at
FROM {stage}
GROUP BY message_id
"""


def fold_frame(staged: pl.DataFrame) -> pl.DataFrame | None:
    """``_AGGREGATE`` computed in polars on the staged events, for imports staged through
    Arrow: a hash aggregation here takes a second or two where SQLite sorts the whole
    stage. None when some event still has to be matched to its message in SQL."""
    if "message_id" not in staged.columns or staged.get_column("message_id").null_count():
        return None
    kind, at = pl.col("type"), pl.col("occurred_at")
    machine = pl.col("machine_open")

    def first(condition: pl.Expr) -> pl.Expr:
        return at.filter(condition).min()

    def number(condition: pl.Expr) -> pl.Expr:
        return condition.fill_null(False).sum().cast(pl.Int64)

    # Grouping on a run number of the sorted ids is ~3x faster than grouping on the
    # strings themselves, and leaves the result in key order, so the message updates
    # walk the table in order.
    ordered = staged.select("message_id", "type", "occurred_at", "machine_open",
                            "bounce_type").sort("message_id").with_columns(
        pl.col("message_id").rle_id().alias("_group"))
    return ordered.group_by("_group").agg(
        pl.col("message_id").first(),
        first(kind == "delivered").alias("delivered_at"),
        first(kind.is_in(["open", "click"])).alias("engaged_at"),
        first(kind == "bounce").alias("bounced_at"),
        ((kind == "bounce") & (pl.col("bounce_type") == "hard")).fill_null(False)
        .any().cast(pl.Int64).alias("hard"),
        first(kind == "open").alias("first_open_at"),
        number(kind == "open").alias("opens"),
        number((kind == "open") & machine).alias("machine_opens"),
        first((kind == "open") & ~machine).alias("first_human_open_at"),
        first(kind == "click").alias("first_click_at"),
        number(kind == "click").alias("clicks"),
        first(kind == "unsubscribe").alias("unsubscribed_at"),
        first(kind == "complaint").alias("complained_at"),
    ).sort("_group").drop("_group")


# The ledger index whose keys a large append inserts in random order (events come in
# event-id or time order, not by message): see ``bulk.indexes_rebuilt``.
_MESSAGE_INDEX = "ix_email_event_message_id"


@dataclass(frozen=True)
class Prefold:
    """A staged table holding ``fold_frame`` of the staged events, and how many events
    it folds: it stands for the SQL fold only if every one of them is appended."""

    table: str
    events: int


@dataclass(frozen=True)
class Folded:
    appended: int
    campaigns: list[str]
    customers: list[str]


def append_and_fold(connection: Connection, stage: str,
                    prefold: Prefold | None = None) -> Folded:
    """Append the staged (new, resolved) events to the ledger and fold them into their
    messages. Returns the count appended, the campaigns touched and the touched customers
    who have orders (whose attribution may change)."""
    # Every staged event names a stored message by now (``resolve_messages`` refused or
    # set aside the rest), so the ledger takes the rows as they are, with no lookup.
    columns = ", ".join(LEDGER_COLUMNS)
    # Numbered only when something is appended: replays take no number (nor the lock).
    sequence = next_sequence(connection) if has_rows(connection, stage) else 0
    with bulk.indexes_rebuilt(connection, "email_event", (_MESSAGE_INDEX,), stage,
                              appending=sequence > 0):
        appended = connection.execute(text(
            # Safe SQL (S608): stage/table names and fragments are code constants.
            f"INSERT INTO email_event ({columns}, ingest_seq) SELECT {columns}, :sequence "  # noqa: S608
            f"FROM {stage} WHERE message_id IS NOT NULL"), {"sequence": sequence}).rowcount or 0
    # The prefold stands for the SQL fold only when nothing was set aside (replays,
    # refused rows): then it aggregates exactly the events just appended.
    made_here = prefold is None or prefold.events != appended
    if made_here:
        machine = "machine_open = 1" if is_sqlite(connection) else "machine_open"
        folded = stage.rsplit(".", 1)[-1] + "_fold"
        connection.execute(text(f"DROP TABLE IF EXISTS {folded}"))
        connection.execute(text(f"CREATE TEMPORARY TABLE {folded} AS "
                                + _AGGREGATE.format(stage=stage, machine=machine)))
    else:
        assert prefold is not None
        folded = prefold.table
    # An open or click proves the message arrived even when the provider sent no
    # delivery event, so the open rate can never exceed 100 %.
    delivered = ("CASE WHEN f.delivered_at IS NULL THEN f.engaged_at "
                 "WHEN f.engaged_at IS NULL THEN f.delivered_at "
                 "WHEN f.engaged_at < f.delivered_at THEN f.engaged_at ELSE f.delivered_at END")
    connection.execute(text(f"""
        UPDATE message SET
            delivered_at = {_earliest("delivered_at", "f.delivered_x")},
            bounced_at = {_earliest("bounced_at", "f.bounced_at")},
            bounce_type = CASE WHEN f.hard = 1 THEN 'hard'
                               WHEN f.bounced_at IS NOT NULL
                                    THEN COALESCE(message.bounce_type, 'soft')
                               ELSE message.bounce_type END,
            first_open_at = {_earliest("first_open_at", "f.first_open_at")},
            open_count = message.open_count + f.opens,
            machine_open_count = message.machine_open_count + f.machine_opens,
            first_human_open_at = {_earliest("first_human_open_at", "f.first_human_open_at")},
            first_click_at = {_earliest("first_click_at", "f.first_click_at")},
            click_count = message.click_count + f.clicks,
            unsubscribed_at = {_earliest("unsubscribed_at", "f.unsubscribed_at")},
            complained_at = {_earliest("complained_at", "f.complained_at")}
        FROM (SELECT *, {delivered} AS delivered_x FROM {folded} f) AS f
        WHERE message.message_id = f.message_id
    """))  # noqa: S608  (stage/table names and fragments are code constants)
    joined = f"FROM {folded} f JOIN message m ON m.message_id = f.message_id"
    campaigns = [row[0] for row in connection.execute(text(
        f"SELECT DISTINCT m.campaign_id {joined}"))]
    # Only customers with orders can have their attribution changed by new events (a
    # customer without orders has no conversions to move), so only they are returned.
    customers = [] if not has_rows(connection, "orders") else [
        row[0] for row in connection.execute(text(
            # Safe SQL (S608): stage/table names and fragments are code constants.
            f"SELECT DISTINCT m.customer_id {joined} "  # noqa: S608
            f"WHERE m.customer_id IN (SELECT customer_id FROM orders)"))]
    if made_here:
        connection.execute(text(f"DROP TABLE IF EXISTS {folded}"))
    return Folded(appended=appended, campaigns=sorted(campaigns), customers=sorted(customers))


def staged_customers(connection: Connection, stage: str) -> list[str]:
    return [row[0] for row in connection.execute(text(
        # Safe SQL (S608): stage/table names and fragments are code constants.
        f"SELECT DISTINCT customer_id FROM {stage} WHERE customer_id IS NOT NULL"))]  # noqa: S608
