"""The customers runner: previews read one cached frame per data version, segment writes
refuse what they cannot do, and membership drift is measured against the rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text

from server.ingest.customers import refresh_everyone
from server.runners import customers as runner
from server.runners.base import MEMO
from tests.server.ingest.conftest import load_world

AS_OF = datetime(2026, 3, 20, tzinfo=UTC)


@pytest.fixture
def shop(engine: Engine) -> Engine:
    load_world(engine)
    refresh_everyone(engine, AS_OF)
    return engine


def test_previews_share_one_profile_read_per_data_version(shop: Engine):
    MEMO.clear()
    first = runner.preview_segment(shop, "purchases >= 1")
    misses = MEMO.misses
    second = runner.preview_segment(shop, "purchases >= 3")
    assert MEMO.misses == misses  # typing again re-filters the cached frame
    assert (first.count, first.sample, second.count, second.sample) == (
        2, ("u1", "u3"), 1, ("u1",))
    runner.create_rule_segment(shop, segment_id="b", name="B", definition="purchases >= 1")
    runner.preview_segment(shop, "purchases >= 1")
    assert MEMO.misses > misses  # a segment write moved the data version


def test_writes_refuse_bad_ids_names_and_computed_segments(shop: Engine):
    with pytest.raises(runner.SegmentProblem, match="segment id 'Bad Id' must be 1-64"):
        runner.create_rule_segment(shop, segment_id="Bad Id", name="x", definition="sends > 1")
    with pytest.raises(runner.SegmentProblem, match="name must not be empty"):
        runner.create_rule_segment(shop, segment_id="ok", name=" ", definition="sends > 1")
    runner.create_rule_segment(shop, segment_id="ok", name="Ok", definition="sends > 1")
    with pytest.raises(runner.SegmentProblem, match="segment 'ok' exists"):
        runner.create_rule_segment(shop, segment_id="ok", name="Ok", definition="sends > 1")
    with pytest.raises(runner.SegmentProblem,
                       match="segment 'rfm-champions' is a rfm segment; only rule segments"):
        runner.delete_rule_segment(shop, "rfm-champions")
    with pytest.raises(runner.SegmentProblem, match="no segment has id 'nope'"):
        runner.update_rule_segment(shop, segment_id="nope", name="x")


def test_drift_counts_members_out_of_place(shop: Engine):
    runner.create_rule_segment(shop, segment_id="ok", name="Ok", definition="sends >= 1")
    assert runner.membership_drift(shop) == {}
    with shop.begin() as connection:
        connection.execute(text("DELETE FROM segment_member WHERE segment_id = 'ok'"))
    assert runner.membership_drift(shop) == {"ok": 3}
