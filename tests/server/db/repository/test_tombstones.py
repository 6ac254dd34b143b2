"""Tombstones: salted digests only, compared case-blind for emails, and new sends to an
erased customer take their events down with them."""

from __future__ import annotations

from sqlalchemy import Engine, text

from server.db.repository import tombstones
from server.ingest import load_frame, read_bytes
from server.runners import privacy
from tests.worlds import dashboard


def _csv(kind: str, content: str, engine: Engine) -> int:
    return load_frame(kind, read_bytes(content.encode(), "csv"), engine=engine,
                      first_row=2).erased


def test_digests_are_keyed_and_blind_to_the_case_of_emails() -> None:
    assert tombstones.digest(b"a", "email", " Ana@Gmail.com") == tombstones.digest(
        b"a", "email", "ana@gmail.com")
    assert tombstones.digest(b"a", "customer", "u1") != tombstones.digest(b"b", "customer", "u1")
    assert tombstones.digest(b"a", "customer", "U1") != tombstones.digest(b"a", "customer", "u1")


def test_nothing_is_checked_before_anyone_is_erased(db: Engine) -> None:
    with db.connect() as connection:
        assert tombstones.salt(connection) is None
        assert tombstones.erased(connection, "customer", ["u1"]) == set()


def test_the_database_keeps_digests_not_identifiers(db: Engine) -> None:
    dashboard.load_world(db)
    privacy.erase(db, "u1")
    with db.connect() as connection:
        stored = " ".join(str(value) for row in connection.execute(text(
            "SELECT kind, digest FROM erasure_tombstone")) for value in row)
        assert tombstones.erased(connection, "message", ["m11", "m12"]) == {"m11"}
    assert "u1" not in stored and "ana" not in stored and "m11" not in stored


def test_a_new_send_to_an_erased_customer_is_skipped_with_its_events(db: Engine) -> None:
    dashboard.load_world(db)
    privacy.erase(db, "u1")
    assert _csv("messages", "message_id,campaign_id,customer_id,sent_at\n"
                "m99,c2,u1,2026-03-12T09:00:00Z\nm98,c2,u2,2026-03-12T09:00:00Z\n", db) == 1
    assert _csv("events", "event_id,type,occurred_at,message_id\n"
                "e99,open,2026-03-12T10:00:00Z,m99\ne98,open,2026-03-12T10:00:00Z,m98\n",
                db) == 1
    assert _csv("events", "event_id,type,occurred_at,campaign_id,customer_id\n"
                "e97,click,2026-03-12T10:00:00Z,c2,u1\n", db) == 1
    assert _csv("orders", "order_id,customer_id,occurred_at,amount,currency\n"
                "o9,u1,2026-03-12T11:00:00Z,5.00,USD\n", db) == 1
    with db.connect() as connection:
        assert connection.execute(text(
            "SELECT message_id FROM message WHERE message_id IN ('m98', 'm99')")).all() == [
            ("m98",)]
        assert connection.execute(text("SELECT count(*) FROM email_event WHERE event_id "
                                       "IN ('e97', 'e98', 'e99')")).scalar_one() == 1


def test_a_provider_webhook_naming_an_erased_address_folds_without_them(
        db: Engine, settings: object) -> None:
    import json

    from server.db.repository.webhooks import store_delivery
    from server.runners import webhooks
    from server.settings import get_settings

    dashboard.load_world(db)
    privacy.erase(db, "u1")
    events = [{"sg_message_id": message, "email": email, "campaign_id": "c9",
               "timestamp": 1773000000, "event": "open", "sg_event_id": event}
              for message, email, event in (("p-1", "Ana@Gmail.com", "x1"),
                                            ("p-2", "new@example.com", "x2"))]
    delivery, _ = store_delivery(engine=db, provider="sendgrid",
                                 body=json.dumps(events).encode())
    webhooks.fold(db, get_settings(), delivery)
    with db.connect() as connection:
        assert connection.execute(text(
            "SELECT customer_id FROM message WHERE campaign_id = 'c9'")).all() == [
            ("new@example.com",)]
        assert connection.execute(text(
            "SELECT count(*) FROM customer WHERE email LIKE 'ana%'")).scalar_one() == 0
        assert connection.execute(text("SELECT folded_at IS NOT NULL FROM webhook_delivery "
                                       f"WHERE id = {delivery}")).scalar_one()
