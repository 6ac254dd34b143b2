"""Subject-line scoring and variant allocation on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, insert, text

from server.db.models import Campaign
from server.runners import subject_lines
from tests.server.send_time_world import seed_send_times

SUBJECTS = ["Hi {{first_name}}, is this for you?", "Our spring collection is here"]


@pytest.fixture
def store(engine: Engine) -> Iterator[Engine]:
    seed_send_times(engine)
    with engine.begin() as connection:
        connection.execute(insert(Campaign), [
            {"campaign_id": "k3", "name": "Spring", "send_at": datetime(2026, 1, 8, 13,
                                                                        tzinfo=UTC)}])
        # k3's sends: s1 and s2 got variant A, s3 got B, and nobody opened B.
        connection.execute(text("UPDATE message SET variant_id = CASE WHEN customer_id = "
                                "'s3' THEN 'B' ELSE 'A' END WHERE campaign_id = 'k3'"))
        connection.execute(text("UPDATE message SET first_human_open_at = NULL WHERE "
                                "campaign_id = 'k3' AND customer_id = 's3'"))
    yield engine
    engine.dispose()


def test_without_an_open_model_subjects_are_ranked_by_the_fallback(store):
    result = subject_lines.score_subject_lines(store, SUBJECTS, campaign_id="k3")

    assert (result.method, result.version_id, result.recipients) == ("fallback", None, 3)
    assert result.send_at == datetime(2026, 1, 8, 13, tzinfo=UTC)
    assert [(s.subject, s.rank, s.personalised, s.question) for s in result.scores] == [
        (SUBJECTS[0], 1, True, 1), (SUBJECTS[1], 2, False, 0)]
    assert result.scores[0].expected_open_rate > result.scores[1].expected_open_rate
    assert "recipients' recent open rate" in result.reason


def test_a_draft_is_scored_on_recently_mailed_customers_and_errors_name_the_field(store):
    draft = subject_lines.score_subject_lines(
        store, SUBJECTS, send_at=datetime(2026, 1, 30, 9, tzinfo=UTC))

    assert (draft.method, draft.recipients) == ("fallback", 3)
    with pytest.raises(LookupError, match="campaign 'nope' does not exist"):
        subject_lines.score_subject_lines(store, SUBJECTS, campaign_id="nope")
    with pytest.raises(ValueError, match=r"subjects\[1\] is empty"):
        subject_lines.score_subject_lines(store, ["Hello", "  "])
    with pytest.raises(ValueError, match="subjects must hold 1 to 20 subject lines, got 0"):
        subject_lines.score_subject_lines(store, [])


def test_allocation_follows_each_variants_opens(store):
    result = subject_lines.allocate_variants(store, "k3")

    # Day 3 of the world: s1 and s2 (A) opened their 13:00 sends.
    assert [(a.variant, a.sends, a.opens) for a in result] == [("A", 4, 2), ("B", 2, 0)]
    assert result[0].share > result[1].share
    assert sum(a.share for a in result) == pytest.approx(1.0)
    with pytest.raises(LookupError, match="campaign 'nope' does not exist"):
        subject_lines.allocate_variants(store, "nope")
