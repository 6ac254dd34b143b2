"""Day rollups recomputed from the sends of the hand-computed world
(tests/worlds/dashboard.py), beside the SQL that recomputes them on each dialect."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from server.db.repository.rollups import refresh_rollups, rollup_campaign_ids, rollup_insert_sql
from tests.server.db.repository.sql_snapshots import DIALECTS, assert_sql_snapshot
from tests.worlds.dashboard import load_world

COUNTS = ("SELECT campaign_id, variant_id, sent, delivered, bounced, unique_opens, "
          "unique_clicks, conversions FROM rollup_campaign_day ORDER BY 1, 2")
GOLDEN = [("c1", "A", 3, 2, 1, 2, 1, 1), ("c1", "B", 3, 2, 1, 1, 0, 0),
          ("c2", "", 6, 5, 1, 3, 2, 1)]


@pytest.fixture
def world(engine: Engine) -> Iterator[Engine]:
    load_world(engine)
    yield engine
    engine.dispose()


def test_refresh_of_some_and_of_all_campaigns_golden(world: Engine) -> None:
    with world.begin() as connection:
        connection.execute(text("DELETE FROM rollup_campaign_day"))
        assert refresh_rollups(connection, ["c2"]) == 1
        assert [tuple(row) for row in connection.execute(text(COUNTS))] == GOLDEN[2:]
        assert refresh_rollups(connection) == 3
        assert [tuple(row) for row in connection.execute(text(COUNTS))] == GOLDEN
    assert rollup_campaign_ids(engine=world) == ["c1", "c2"]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_refresh_sql_snapshot(dialect: str) -> None:
    assert_sql_snapshot("rollups.refresh_all", dialect, rollup_insert_sql(dialect))
    assert_sql_snapshot("rollups.refresh_campaigns", dialect,
                        rollup_insert_sql(dialect, "WHERE campaign_id IN (:c0, :c1)"))
