"""The optimisation report on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, insert

from server.db.models import Campaign
from server.runners import optimisation, send_time
from tests.server.send_time_world import seed_send_times


@pytest.fixture
def store(engine: Engine) -> Iterator[Engine]:
    seed_send_times(engine)
    with engine.begin() as connection:
        connection.execute(insert(Campaign), [
            {"campaign_id": "k3", "name": "Spring", "subject_line": "Spring is here",
             "send_at": datetime(2026, 1, 8, 20, tzinfo=UTC)}])
    yield engine
    engine.dispose()


def test_report_recommends_hour_subject_and_personalisation(store):
    with pytest.raises(ValueError, match="compute send times first"):
        optimisation.optimize_campaign(store, "k3", ["New in spring?"])
    send_time.compute_send_times(store)

    report = optimisation.optimize_campaign(store, "k3", ["New in spring?"])

    # s1 and s2 read at 08:00 New York (13:00 UTC), s3 at 21:00 Berlin (20:00 UTC).
    assert (report.recipients, report.subject_method) == (3, "fallback")
    assert report.best_hours_utc[13] == 2 and report.best_hours_utc[20] == 1
    assert (report.send_time.recommended, report.send_time.current) == (
        "13:00 UTC", "20:00 UTC")
    assert report.send_time.expected_improvement > 0
    assert 0 < report.send_time.confidence < 1
    assert (report.subject.recommended, report.subject.current) == (
        "New in spring?", "Spring is here")
    assert report.subject.expected_improvement > 0
    assert report.personalisation.recommended == "first name in the subject"
    assert 0.5 <= report.personalisation.confidence <= 1
    with pytest.raises(LookupError, match="campaign 'nope' does not exist"):
        optimisation.optimize_campaign(store, "nope", ["Hi"])
