"""The webhook inbox: repeats recognised, one-time tokens remembered, then forgotten."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, text

from server.db.repository.webhooks import TOKEN_MEMORY, TokenReused, store_delivery
from server.db.types import utcnow


def test_a_repeated_body_is_the_same_delivery(engine: Engine) -> None:
    first = store_delivery(engine=engine, provider="sendgrid", body=b"[1]")
    again = store_delivery(engine=engine, provider="sendgrid", body=b"[1]")
    other = store_delivery(engine=engine, provider="postmark", body=b"[1]")
    assert (first[1], again, other[1]) == (True, (first[0], False), True)


def test_tokens_are_refused_twice_and_forgotten_after_a_while(engine: Engine) -> None:
    store_delivery(engine=engine, provider="mailgun", body=b"{}", token="t1")
    with pytest.raises(TokenReused):
        store_delivery(engine=engine, provider="mailgun", body=b"{2}", token="t1")
    with engine.begin() as connection:
        connection.execute(text("UPDATE webhook_token SET seen_at = :old"),
                           {"old": utcnow() - TOKEN_MEMORY - timedelta(seconds=1)})
    store_delivery(engine=engine, provider="mailgun", body=b"{3}", token="t2")
    with engine.connect() as connection:
        assert [row[0] for row in connection.execute(text(
            "SELECT token FROM webhook_token"))] == ["t2"]
        assert connection.execute(text(
            "SELECT count(*) FROM webhook_delivery")).scalar() == 2
