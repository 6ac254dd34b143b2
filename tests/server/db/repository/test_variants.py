"""The variant-selection report SQL: logged choices with the sends that followed."""

from __future__ import annotations

import pytest

from server.db.repository.variants import OUTCOMES_SQL
from tests.server.db.repository.sql_snapshots import DIALECTS, assert_sql_snapshot


@pytest.mark.parametrize("dialect", DIALECTS)
def test_outcomes_sql_snapshot(dialect: str) -> None:
    # Results: tests/server/runners/test_variants.py (report and evidence).
    assert_sql_snapshot("variants.choice_outcomes", dialect, OUTCOMES_SQL)
