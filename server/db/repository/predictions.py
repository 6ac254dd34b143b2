"""Predictions: the raw tables read as feature inputs, the model registry, and scoring
runs whose scores are written shard by shard and published whole."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import polars as pl
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from server.db.models import CustomerScore, ModelVersion, ScoreRun, ScoreShard, SendTimeScore
from server.db.repository.bulk import copy_into
from server.db.repository.frames import UTC_DATETIME, query_frame, read_table, rows_frame
from server.db.types import SQLITE_DATETIME_FORMAT, utcnow

ORDERS_SCHEMA: dict[str, pl.DataType] = {"customer_id": pl.String(),
                                         "occurred_at": UTC_DATETIME, "amount": pl.Float64()}
MESSAGES_SCHEMA: dict[str, pl.DataType] = {"customer_id": pl.String(), "sent_at": UTC_DATETIME,
                                           "first_human_open_at": UTC_DATETIME,
                                           "first_click_at": UTC_DATETIME,
                                           "stopped_at": UTC_DATETIME}
CUSTOMERS_SCHEMA: dict[str, pl.DataType] = {"customer_id": pl.String(),
                                            "signup_at": UTC_DATETIME}
_SQL = {
    "orders": "SELECT customer_id, occurred_at, amount FROM orders",
    # stopped_at: the send's opt-out, complaint or hard bounce (no more mail after it).
    "messages": "SELECT customer_id, sent_at, first_human_open_at, first_click_at, "
                "COALESCE(unsubscribed_at, complained_at, CASE WHEN bounce_type = 'hard' "
                "THEN bounced_at END) AS stopped_at FROM message",
    "customers": "SELECT customer_id, signup_at FROM customer",
}
_SCHEMAS = {"orders": ORDERS_SCHEMA, "messages": MESSAGES_SCHEMA,
            "customers": CUSTOMERS_SCHEMA}
# The counts the campaign import takes from each body (analytics.predictions.content).
_CONTENT_COUNTS = ("content_length", "link_count", "image_count", "cta_count")
SCORE_COLUMNS = ("run_id", "customer_id", "shard", "probability", "risk_level",
                 "expected_orders", "predicted_value", "p_alive")
SCORE_SCHEMA: dict[str, pl.DataType] = {
    "customer_id": pl.String(), "probability": pl.Float64(), "risk_level": pl.String(),
    "expected_orders": pl.Float64(), "predicted_value": pl.Float64(), "p_alive": pl.Float64()}


def read_inputs(*, engine: Engine) -> dict[str, pl.DataFrame]:
    """The customers, orders and sends that feature building reads (features and labels
    cut them at their own cutoffs)."""
    return {name: read_table(engine, sql, schema=_SCHEMAS[name]) for name, sql in _SQL.items()}


def read_engagement_inputs(*, engine: Engine) -> dict[str, pl.DataFrame]:
    """Sends with their campaign and machine-open count, and the campaigns' subjects,
    send times, categories and content, for the engagement models."""
    # Columns in the SELECT's order: frames are typed by position.
    sends = read_table(engine, "SELECT customer_id, campaign_id, sent_at, "
                       "first_human_open_at, first_click_at, machine_open_count FROM message",
                       schema={"customer_id": pl.String(), "campaign_id": pl.String(),
                               "sent_at": UTC_DATETIME, "first_human_open_at": UTC_DATETIME,
                               "first_click_at": UTC_DATETIME,
                               "machine_open_count": pl.Int64()})
    campaigns = read_table(engine, "SELECT campaign_id, subject_line, send_at, category, "
                           "template_type, content_length, link_count, image_count, "
                           "cta_count FROM campaign",
                           schema={"campaign_id": pl.String(), "subject_line": pl.String(),
                                   "send_at": UTC_DATETIME, "category": pl.String(),
                                   "template_type": pl.String(),
                                   **{name: pl.Int64() for name in _CONTENT_COUNTS}})
    return {"sends": sends, "campaigns": campaigns}


EVENTS_SCHEMA: dict[str, pl.DataType] = {"customer_id": pl.String(),
                                         "occurred_at": UTC_DATETIME, "user_agent": pl.String()}
ITEMS_SCHEMA: dict[str, pl.DataType] = {"customer_id": pl.String(),
                                        "occurred_at": UTC_DATETIME, "items": pl.String()}
PRODUCTS_SCHEMA: dict[str, pl.DataType] = {"product_id": pl.String(),
                                           "category": pl.String()}
# People's opens and clicks with a user agent: the rows device preferences count.
_EVENTS_FROM = ("FROM email_event e JOIN message m ON m.message_id = e.message_id "
                "WHERE e.type IN ('open', 'click') AND NOT e.machine_open "
                "AND e.user_agent IS NOT NULL")
_EVENTS_SQL = f"SELECT m.customer_id, e.occurred_at, e.user_agent {_EVENTS_FROM}"
_ITEMS_SQL = "SELECT customer_id, occurred_at, items FROM orders WHERE items IS NOT NULL"
_PRODUCTS_SQL = "SELECT product_id, category FROM product WHERE category IS NOT NULL"


def _before(column: str, moment: datetime, dialect: str) -> str:
    """``column < moment`` as SQL text (connectorx takes no parameters; the value is a
    datetime formatted here, never user text). SQLite compares its timestamp text, so
    the literal uses the same format."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: pass a timezone-aware one")
    text_value = moment.astimezone(UTC).strftime(SQLITE_DATETIME_FORMAT)
    zone = "" if dialect == "sqlite" else "+00:00"
    return f"{column} < '{text_value}{zone}'"


def count_column(cutoff: datetime) -> str:
    """The ``read_agent_counts`` column of the counts before ``cutoff``."""
    return "before_" + cutoff.astimezone(UTC).strftime("%Y%m%dT%H%M%S%f")


def read_agent_counts(*, engine: Engine, cutoffs: Sequence[datetime]) -> pl.DataFrame:
    """People's opens and clicks with a user agent (the customer is the message's;
    machine opens left out) counted per customer and user agent before each of
    ``cutoffs``: ``customer_id``, ``user_agent`` and one Int64 column per cutoff
    (``count_column``). The event log, the largest table, is cut and counted in SQL:
    one row per customer and user agent leaves the database, not one per event."""
    dialect = engine.dialect.name
    sums = ", ".join(
        f"SUM(CASE WHEN {_before('e.occurred_at', cutoff, dialect)} THEN 1 ELSE 0 END) "
        f"AS {count_column(cutoff)}" for cutoff in cutoffs)
    # Safe SQL (S608): the SQL is a code constant, the cutoffs datetimes formatted by
    # _before and the column names made of their digits.
    sql = (f"SELECT m.customer_id, e.user_agent, {sums} {_EVENTS_FROM} "  # noqa: S608
           f"AND {_before('e.occurred_at', max(cutoffs), dialect)} "
           "GROUP BY m.customer_id, e.user_agent")
    schema: dict[str, pl.DataType] = {"customer_id": pl.String(), "user_agent": pl.String(),
                                      **{count_column(c): pl.Int64() for c in cutoffs}}
    return read_table(engine, sql, schema=schema)


def read_preference_inputs(*, engine: Engine, before: datetime) -> dict[str, pl.DataFrame]:
    """What category preferences are built from: ``items``, the orders' line items
    before ``before`` (``ITEMS_SCHEMA``), and ``products``, the products' categories
    (``PRODUCTS_SCHEMA``)."""
    # Safe SQL (S608): the SQL is a code constant and the cutoff a datetime formatted by
    # _before.
    items_sql = f"{_ITEMS_SQL} AND {_before('occurred_at', before, engine.dialect.name)}"  # noqa: S608
    return {"items": read_table(engine, items_sql, schema=ITEMS_SCHEMA),
            "products": read_table(engine, _PRODUCTS_SQL, schema=PRODUCTS_SCHEMA)}


def read_customer_preferences(*, session: Session,
                              customer_id: str) -> dict[str, pl.DataFrame]:
    """One customer's rows of everything preferences are built from, whatever their
    time: ``events`` (``EVENTS_SCHEMA``, one row per open or click), ``items`` and
    ``products``."""
    frames = {}
    for name, sql, schema in (
            ("events", _EVENTS_SQL + " AND m.customer_id = :customer_id", EVENTS_SCHEMA),
            ("items", _ITEMS_SQL + " AND customer_id = :customer_id", ITEMS_SCHEMA),
            ("products", _PRODUCTS_SQL, PRODUCTS_SCHEMA)):
        rows = session.connection().execute(text(sql), {"customer_id": customer_id}).all()
        frames[name] = rows_frame(rows, schema)
    return frames


def read_customer_inputs(*, session: Session, customer_id: str) -> dict[str, pl.DataFrame]:
    """The rows of one customer that feature building reads."""
    frames = {}
    for name, sql in _SQL.items():
        rows = session.connection().execute(
            text(sql + " WHERE customer_id = :customer_id"),
            {"customer_id": customer_id}).all()
        frames[name] = rows_frame(rows, _SCHEMAS[name])
    return frames


def data_span(*, engine: Engine) -> tuple[datetime | None, datetime | None]:
    """The earliest and latest order or send time, or (None, None) for an empty store."""
    with engine.connect() as connection:
        row = connection.execute(text(
            "SELECT MIN(t), MAX(t) FROM (SELECT MIN(occurred_at) AS t FROM orders UNION ALL "
            "SELECT MAX(occurred_at) FROM orders UNION ALL SELECT MIN(sent_at) FROM message "
            "UNION ALL SELECT MAX(sent_at) FROM message) AS spans")).one()
    frame = rows_frame([row], {"first": UTC_DATETIME, "last": UTC_DATETIME})
    return frame["first"][0], frame["last"][0]


def create_model_version(*, session: Session, version: ModelVersion,
                         activate_if_first: bool = True) -> ModelVersion:
    """Store ``version``; it becomes active when its kind has no active version."""
    if activate_if_first and active_version(session=session, kind=version.kind) is None:
        version.active = True
        version.activated_at = utcnow()
    session.add(version)
    session.flush()
    return version


def list_model_versions(*, session: Session, kind: str | None = None,
                        limit: int = 100) -> Sequence[ModelVersion]:
    """Versions, newest first (``kind``: of that kind only)."""
    query = select(ModelVersion).order_by(col(ModelVersion.id).desc()).limit(limit)
    if kind is not None:
        query = query.where(ModelVersion.kind == kind)
    return session.exec(query).all()


def get_model_version(*, session: Session, version_id: int) -> ModelVersion | None:
    return session.get(ModelVersion, version_id)


def active_version(*, session: Session, kind: str) -> ModelVersion | None:
    return session.exec(select(ModelVersion).where(ModelVersion.kind == kind,
                                                   col(ModelVersion.active))).first()


def activate_model_version(*, session: Session, version_id: int) -> ModelVersion:
    """Make ``version_id`` its kind's only active version (also how to roll back)."""
    version = session.get(ModelVersion, version_id)
    if version is None:
        raise LookupError(f"model version {version_id} does not exist")
    # Lock the kind's rows in a fixed order so two activations cannot both win.
    others = session.exec(select(ModelVersion).where(ModelVersion.kind == version.kind)
                          .order_by(col(ModelVersion.id)).with_for_update()).all()
    for other in others:
        if other.active and other.id != version_id:
            other.active = False
            session.add(other)
    version.active = True
    version.activated_at = utcnow()
    session.add(version)
    session.flush()
    return version


def create_score_run(*, session: Session, version: ModelVersion, as_of: datetime,
                     shards: int) -> ScoreRun:
    run = ScoreRun(version_id=version.id or 0, kind=version.kind, as_of=as_of, shards=shards)
    session.add(run)
    session.flush()
    return run


def get_score_run(*, session: Session, run_id: int) -> ScoreRun | None:
    return session.get(ScoreRun, run_id)


def write_score_shard(*, engine: Engine, run_id: int, shard: int,
                      scores: pl.DataFrame) -> ScoreRun:
    """Replace shard ``shard`` of run ``run_id`` with ``scores`` (customer_id and any of
    the ``SCORE_SCHEMA`` columns; the others are left null) in one transaction; the shard
    that completes the run publishes it in that same transaction and drops the version's
    earlier runs. Returns the run."""
    rows = scores.with_columns(
        pl.lit(None, dtype).alias(name) for name, dtype in SCORE_SCHEMA.items()
        if name not in scores.columns).with_columns(pl.lit(run_id, pl.Int64).alias("run_id"),
                               pl.lit(shard, pl.Int64).alias("shard")).select(SCORE_COLUMNS)
    with Session(engine, expire_on_commit=False) as session:
        connection = session.connection()
        # The first statement locks the run's row: shards of one run commit one at a
        # time, so exactly one of them sees every shard done and publishes.
        connection.execute(text("UPDATE score_run SET shards = shards WHERE id = :id"),
                           {"id": run_id})
        run = session.get(ScoreRun, run_id, populate_existing=True)
        if run is None:
            raise LookupError(f"score run {run_id} does not exist")
        if not 0 <= shard < run.shards:
            raise ValueError(f"shard {shard} is outside 0..{run.shards - 1} of run {run_id}")
        params: dict[str, Any] = {"run": run_id, "shard": shard}
        connection.execute(text("DELETE FROM customer_score WHERE run_id = :run AND "
                                "shard = :shard"), params)
        connection.execute(text("DELETE FROM score_shard WHERE run_id = :run AND "
                                "shard = :shard"), params)
        copy_into(connection, "customer_score", rows)
        session.add(ScoreShard(run_id=run_id, shard=shard, rows=rows.height))
        session.flush()
        done = connection.execute(text("SELECT COUNT(*), COALESCE(SUM(rows), 0) FROM "
                                       "score_shard WHERE run_id = :run"),
                                  {"run": run_id}).one()
        if done[0] == run.shards and run.completed_at is None:
            run.completed_at = utcnow()
            run.rows = int(done[1])
            session.add(run)
            _drop_earlier_runs(session, run)
        session.commit()
        return run


def _drop_earlier_runs(session: Session, run: ScoreRun) -> None:
    earlier = session.exec(select(ScoreRun.id).where(
        ScoreRun.version_id == run.version_id, col(ScoreRun.id) < (run.id or 0))).all()
    for run_id in earlier:
        for table in ("customer_score", "score_shard"):
            # Safe SQL (S608): code table names; the run id is bound or an int.
            session.connection().execute(text(f"DELETE FROM {table} WHERE run_id = :run"),  # noqa: S608
                                         {"run": run_id})
        session.connection().execute(text("DELETE FROM score_run WHERE id = :run"),
                                     {"run": run_id})


def set_run_drift(*, engine: Engine, run_id: int, drift: str) -> None:
    with Session(engine) as session:
        run = session.get(ScoreRun, run_id)
        if run is not None:
            run.drift = drift
            session.add(run)
            session.commit()


def latest_drift(*, session: Session, version_id: int) -> str | None:
    """The drift JSON of the latest run of ``version_id`` that measured it."""
    return session.exec(select(ScoreRun.drift).where(
        ScoreRun.version_id == version_id, col(ScoreRun.drift).is_not(None))
        .order_by(col(ScoreRun.id).desc())).first()


def published_run(*, session: Session, kind: str) -> ScoreRun | None:
    """The run whose scores readers see for ``kind``: the latest completed run of the
    active version, else the latest completed run of any version of the kind."""
    completed = (select(ScoreRun).where(ScoreRun.kind == kind,
                                        col(ScoreRun.completed_at).is_not(None))
                 .order_by(col(ScoreRun.completed_at).desc(), col(ScoreRun.id).desc()))
    active = active_version(session=session, kind=kind)
    if active is not None:
        run = session.exec(completed.where(ScoreRun.version_id == active.id)).first()
        if run is not None:
            return run
    return session.exec(completed).first()


def customer_score(*, session: Session, run_id: int,
                   customer_id: str) -> CustomerScore | None:
    return session.get(CustomerScore, (run_id, customer_id))


def run_scores(*, engine: Engine, run_id: int) -> pl.DataFrame:
    """Every score of run ``run_id`` (``SCORE_SCHEMA``), by customer_id."""
    columns = ", ".join(SCORE_SCHEMA)
    # Safe SQL (S608): code table names; the run id is bound or an int.
    return read_table(engine, f"SELECT {columns} FROM customer_score WHERE run_id = "  # noqa: S608
                      f"{int(run_id)} ORDER BY customer_id", schema=SCORE_SCHEMA)


SEND_TIME_SCHEMA: dict[str, pl.DataType] = {
    "customer_id": pl.String(), "best_hour": pl.Int64(), "best_weekday": pl.Int64(),
    "timezone": pl.String(), "source": pl.String(), "segment": pl.String(),
    "sends": pl.Int64(), "engaged_sends": pl.Int64(), "own_weight": pl.Float64(),
    "computed_at": UTC_DATETIME}


def read_send_time_inputs(*, engine: Engine) -> dict[str, pl.DataFrame]:
    """Every send with its people's first open and click and its proxy-open count, and
    every customer's time zone and country."""
    sends = read_table(engine, "SELECT customer_id, sent_at, first_human_open_at, "
                       "first_click_at, machine_open_count FROM message",
                       schema={"customer_id": pl.String(), "sent_at": UTC_DATETIME,
                               "first_human_open_at": UTC_DATETIME,
                               "first_click_at": UTC_DATETIME,
                               "machine_open_count": pl.Int64()})
    audience = read_table(engine, "SELECT customer_id, timezone, country FROM customer",
                          schema={"customer_id": pl.String(), "timezone": pl.String(),
                                  "country": pl.String()})
    return {"sends": sends, "audience": audience}


def replace_send_times(*, engine: Engine, scores: pl.DataFrame) -> int:
    """Replace every send-time score with ``scores`` (``SEND_TIME_SCHEMA``) in one
    transaction; returns the rows written."""
    rows = scores.select(list(SEND_TIME_SCHEMA))
    with Session(engine) as session:
        connection = session.connection()
        connection.execute(text("DELETE FROM send_time_score"))
        copy_into(connection, "send_time_score", rows)
        session.commit()
    return rows.height


def send_time_frame(*, engine: Engine) -> pl.DataFrame:
    """Every send-time score (``SEND_TIME_SCHEMA``), by customer_id."""
    columns = ", ".join(SEND_TIME_SCHEMA)
    # Safe SQL (S608): code table and column names.
    return read_table(engine, f"SELECT {columns} FROM send_time_score ORDER BY customer_id",  # noqa: S608
                      schema=SEND_TIME_SCHEMA)


def customer_send_time(*, session: Session, customer_id: str) -> SendTimeScore | None:
    return session.get(SendTimeScore, customer_id)


def _query(engine: Engine, sql: str, params: dict[str, Any],
           schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return query_frame(engine, sql, params, schema)


def campaign_send(*, engine: Engine, campaign_id: str) -> tuple[bool, datetime | None]:
    """Whether the campaign exists, and its send time."""
    frame = _query(engine, "SELECT send_at FROM campaign WHERE campaign_id = :id",
                   {"id": campaign_id}, {"send_at": UTC_DATETIME})
    if frame.is_empty():
        return False, None
    value: datetime | None = frame["send_at"][0]
    return True, value


def campaign_recipients(*, engine: Engine, campaign_id: str) -> pl.Series:
    """The customer ids the campaign was sent to."""
    frame = _query(engine, "SELECT DISTINCT customer_id FROM message WHERE campaign_id "
                   "= :campaign_id", {"campaign_id": campaign_id}, {"customer_id": pl.String()})
    return frame["customer_id"]


def previous_send(*, engine: Engine, before: datetime) -> datetime | None:
    """The latest campaign send time before ``before``."""
    frame = _query(engine, "SELECT send_at FROM campaign WHERE send_at < :before",
                   {"before": before}, {"send_at": UTC_DATETIME})
    value: datetime | None = frame["send_at"].max()  # type: ignore[assignment]
    return value


def variant_opens(*, engine: Engine, campaign_id: str) -> pl.DataFrame:
    """Per variant of the campaign: delivered sends that tell about people (sends with
    only proxy opens left out) and those a person opened or clicked."""
    return _query(engine, """
        SELECT variant_id,
               SUM(CASE WHEN first_human_open_at IS NOT NULL OR first_click_at IS NOT NULL
                        OR machine_open_count = 0 THEN 1 ELSE 0 END) AS sends,
               SUM(CASE WHEN first_human_open_at IS NOT NULL OR first_click_at IS NOT NULL
                        THEN 1 ELSE 0 END) AS opens
        FROM message WHERE campaign_id = :campaign_id AND delivered_at IS NOT NULL
        GROUP BY variant_id ORDER BY variant_id""", {"campaign_id": campaign_id},
        {"variant_id": pl.String(), "sends": pl.Int64(), "opens": pl.Int64()})


def campaign_subject(*, engine: Engine, campaign_id: str) -> str | None:
    """The campaign's subject line (None when it has none)."""
    frame = _query(engine, "SELECT subject_line FROM campaign WHERE campaign_id = :id",
                   {"id": campaign_id}, {"subject_line": pl.String()})
    return None if frame.is_empty() else frame["subject_line"][0]
