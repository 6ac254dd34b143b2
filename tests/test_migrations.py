import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

import server.db.models  # noqa: F401


# SQLAlchemy cannot reflect expression indexes on SQLite, so autogenerate skips comparing
# this one there (it says so in these two warnings); the next test checks it instead.
@pytest.mark.filterwarnings(
    "ignore:Skipped unsupported reflection of expression-based index ix_message_campaign_day")
@pytest.mark.filterwarnings(
    "ignore:autogenerate skipping metadata-specified expression-based index "
    "'ix_message_campaign_day'")
def test_migrations_match_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_sends_are_indexed_by_the_rollup_grouping(sqlite_url):
    from server.db.engine import engine_for
    from server.db.repository.rollups import _DAY, _SELECT

    engine = engine_for(sqlite_url)
    with engine.connect() as connection:
        definition = connection.execute(text(
            "SELECT sql FROM sqlite_master WHERE name = 'ix_message_campaign_day'")).scalar()
        assert definition == ("CREATE INDEX ix_message_campaign_day ON message "
                              "(campaign_id, variant_id, date(sent_at))")
        plan = " ".join(row[3] for row in connection.execute(text(
            "EXPLAIN QUERY PLAN " + _SELECT.format(
                day=_DAY["sqlite"], where="WHERE campaign_id IN ('c1', 'c2')"))))
    assert "ix_message_campaign_day" in plan and "TEMP B-TREE" not in plan
