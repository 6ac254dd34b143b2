"""The send-time runner on SQLite and PostgreSQL: compute, replace, read back, export."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from server.runners import predictions, send_time
from tests.server.send_time_world import seed_send_times


@pytest.fixture
def store(engine: Engine) -> Iterator[Engine]:
    seed_send_times(engine)
    yield engine
    engine.dispose()


def test_send_times_are_local_with_their_source_and_replace_the_last(store):
    first = send_time.compute_send_times(store)
    again = send_time.compute_send_times(store)

    assert first.rows == again.rows == 5
    assert first.sources == {"customer": 3, "segment": 1, "global": 1}
    with store.connect() as connection:
        rows = connection.execute(text(
            "SELECT customer_id, best_hour, best_weekday, timezone, source, segment, sends, "
            "engaged_sends FROM send_time_score ORDER BY customer_id")).all()
    assert [tuple(row) for row in rows] == [
        ("s1", 8, 1, "America/New_York", "customer", "US", 40, 20),
        ("s2", 8, 1, "America/New_York", "customer", "US", 40, 20),
        ("s3", 21, 1, "Europe/Berlin", "customer", "DE", 40, 20),
        ("s4", 8, 1, "UTC", "segment", "US", 0, 0),
        ("s5", first.global_hour, first.global_weekday, "Asia/Tokyo", "global", "", 0, 0)]


def test_customer_view_overview_and_export(store):
    assert send_time.customer_send_time(store, "s1") is None
    assert send_time.send_time_overview(store).customers == 0
    send_time.compute_send_times(store)

    view = send_time.customer_send_time(store, "s3")
    overview = send_time.send_time_overview(store)
    export = predictions.export_scores(store)
    [score] = predictions.customer_scores(store, "s4")

    assert view is not None
    assert (view.best_hour, view.best_weekday, view.timezone, view.source) == (
        21, 1, "Europe/Berlin", "customer")
    assert (overview.customers, sum(overview.hours), sum(overview.weekdays)) == (5, 5, 5)
    assert overview.hours[8] >= 3 and overview.hours[21] == 1
    assert overview.computed_at is not None and overview.computed_at.tzinfo is not None
    assert export["customer_id"].to_list() == ["s1", "s2", "s3", "s4", "s5"]
    assert export["best_send_hour"].to_list()[:4] == [8, 8, 21, 8]
    assert export["churn_probability"].null_count() == 5
    assert (score.kind, score.version_id, score.best_send_hour, score.send_time_source,
            score.timezone) == ("send_time", None, 8, "segment", "UTC")
