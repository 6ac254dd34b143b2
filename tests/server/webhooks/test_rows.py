"""plan_rows: which customers, campaigns and sends the events need, then the events."""

from __future__ import annotations

from datetime import UTC, datetime

from server.webhooks import ProviderEvent
from server.webhooks.rows import Known, StoredMessage, customer_id_for_email, plan_rows

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def event(n: int, kind: str | None, email: str, minute: int, **tags: str) -> ProviderEvent:
    return ProviderEvent(provider="sendgrid", event_id=f"sendgrid:e{n}", provider_type="x",
                         type=kind, occurred_at=T0.replace(minute=minute),
                         provider_message_id=f"pm-{email}", email=email, **tags)


def rows(plan) -> dict[str, list[tuple]]:
    return {kind: frame.rows() for kind, frame in plan}


def test_new_recipients_make_customers_campaigns_and_sends() -> None:
    plan = rows(plan_rows([
        event(1, "open", "Ann@x.io", 30, campaign_id="c1"),
        event(2, None, "Ann@x.io", 10, campaign_id="c1"),
        event(3, "delivered", "bo@x.io", 20),
        event(3, "delivered", "bo@x.io", 20),  # repeated within the batch
    ], Known(campaigns=frozenset({"c1"}))))
    assert plan["customers"] == [("ann@x.io", "ann@x.io"), ("bo@x.io", "bo@x.io")]
    assert plan["campaigns"] == [("sendgrid-untagged", "sendgrid-untagged")]
    assert plan["messages"] == [
        ("pm-Ann@x.io|ann@x.io", "c1", "", "ann@x.io", "2026-05-01T09:10:00+00:00"),
        ("pm-bo@x.io|bo@x.io", "sendgrid-untagged", "", "bo@x.io",
         "2026-05-01T09:20:00+00:00")]
    assert [(row[0], row[1]) for row in plan["events"]] == [
        ("sendgrid:e1", "open"), ("sendgrid:e3", "delivered")]


def test_known_customers_and_sends_are_reused_and_sent_at_only_moves_earlier() -> None:
    stored = StoredMessage("c9", "u-ann", "B", T0.replace(minute=15))
    known = Known(customers_by_email={"bo@x.io": "u-bo"}, campaigns=frozenset({"c1"}),
                  messages={"pm-ann@x.io|ann@x.io": stored})
    plan = rows(plan_rows([event(1, "open", "ann@x.io", 40),
                           event(2, None, "ann@x.io", 5),
                           event(3, "open", "bo@x.io", 20, campaign_id="c1",
                                 customer_id="u-new")], known))
    assert "customers" not in plan and "campaigns" not in plan
    assert plan["messages"] == [
        ("pm-ann@x.io|ann@x.io", "c9", "B", "u-ann", "2026-05-01T09:05:00+00:00"),
        ("pm-bo@x.io|bo@x.io", "c1", "", "u-bo", "2026-05-01T09:20:00+00:00")]
    later = rows(plan_rows([event(1, "open", "ann@x.io", 40)], known))
    assert "messages" not in later


def test_a_tagged_customer_id_names_a_new_customer() -> None:
    plan = rows(plan_rows([event(1, "open", "cy@x.io", 1, customer_id="u-cy")], Known()))
    assert plan["customers"] == [("u-cy", "cy@x.io")]


def test_overlong_addresses_get_a_hashed_id() -> None:
    email = "a" * 130 + "@x.io"
    assert customer_id_for_email(email).startswith("email-")
    assert len(customer_id_for_email(email)) == 70
