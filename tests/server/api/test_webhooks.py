"""``POST /webhooks/{provider}`` end to end: signed samples in, events out; tampering,
replays and reordering change nothing they should not."""

from __future__ import annotations

import json
import random

import pytest
from sqlalchemy import Engine, text
from starlette.testclient import TestClient

from server.settings import Settings
from tests.server.webhooks.support import Keys, fold_all, sample, state, table

pytestmark = pytest.mark.usefixtures("hook_settings")

SENDGRID_TYPES = {
    "processed": None, "dropped": "dropped", "delivered": "delivered",
    "deferred": "deferred", "bounce": "bounce", "blocked": "bounce", "open": "open",
    "machine_open": "open", "click": "click", "spamreport": "complaint",
    "unsubscribe": "unsubscribe", "group_unsubscribe": "unsubscribe",
    "group_resubscribe": None,
}


def post_sendgrid(hook_client: TestClient, keys: Keys, body: bytes):
    return hook_client.post("/webhooks/sendgrid", content=body,
                       headers=keys.sendgrid_headers(body))


def test_signed_samples_become_events_of_the_right_types(
        hook_client: TestClient, keys: Keys, engine: Engine, hook_settings: Settings) -> None:
    for name in SENDGRID_TYPES:
        response = post_sendgrid(hook_client, keys, sample("sendgrid", name))
        assert response.status_code == 200, response.text
        assert response.json()["duplicate"] is False
    fold_all(engine, hook_settings)
    events = dict(table(engine, "SELECT event_id, type FROM email_event"))
    for name, ours in SENDGRID_TYPES.items():
        event_id = "sendgrid:" + json.loads(sample("sendgrid", name))[0]["sg_event_id"]
        assert events.get(event_id) == ours, name
    message_id = "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0|example@test.com"
    assert table(engine, "SELECT message_id, campaign_id, customer_id, open_count, "
                         "machine_open_count, click_count, bounce_type FROM message") == [
        (message_id, "spring-sale", "example@test.com", 2, 1, 1, "hard")]
    assert table(engine, "SELECT customer_id, email FROM customer") == [
        ("example@test.com", "example@test.com")]
    assert table(engine, "SELECT campaign_id, name FROM campaign") == [
        ("spring-sale", "spring-sale")]
    assert table(engine, "SELECT sent, delivered, unique_opens, unique_clicks "
                         "FROM rollup_campaign_day") == [(1, 1, 1, 1)]


@pytest.mark.parametrize("tamper", ["body", "signature", "missing", "timestamp"])
def test_bad_or_missing_signatures_get_401_and_change_nothing(
        hook_client: TestClient, keys: Keys, engine: Engine, tamper: str) -> None:
    body = sample("sendgrid", "delivered")
    headers = keys.sendgrid_headers(body)
    if tamper == "body":
        body = body.replace(b"delivered", b"bounce")
    elif tamper == "signature":
        headers["X-Twilio-Email-Event-Webhook-Signature"] = keys.sendgrid_headers(
            b"[]")["X-Twilio-Email-Event-Webhook-Signature"]
    elif tamper == "missing":
        del headers["X-Twilio-Email-Event-Webhook-Signature"]
    else:
        headers["X-Twilio-Email-Event-Webhook-Timestamp"] = "1"
    response = hook_client.post("/webhooks/sendgrid", content=body, headers=headers)
    assert response.status_code == 401
    assert "error" in response.json()
    for name in ("webhook_delivery", "job_run", "email_event", "message"):
        assert table(engine, f"SELECT count(*) FROM {name}") == [(0,)], name


def test_unknown_providers_and_garbage(hook_client: TestClient, keys: Keys) -> None:
    assert hook_client.post("/webhooks/sparkpost", content=b"[]").status_code == 404
    body = b'{"not": "an array"}'
    response = post_sendgrid(hook_client, keys, body)
    assert response.status_code == 400
    assert "JSON array" in response.json()["error"]


def test_a_provider_left_unconfigured_refuses_everything(
        settings: Settings, keys: Keys, clean_broker: None) -> None:
    from server.app import create_app

    plain = TestClient(create_app(settings))
    body = sample("sendgrid", "open")
    response = plain.post("/webhooks/sendgrid", content=body,
                          headers=keys.sendgrid_headers(body))
    assert response.status_code == 401
    assert "MAILSCOPE_WEBHOOK_SENDGRID_PUBLIC_KEY" in response.json()["error"]


def test_an_unknown_event_type_is_quarantined_not_refused(
        hook_client: TestClient, keys: Keys, engine: Engine, hook_settings: Settings) -> None:
    body = json.dumps([{"event": "teleported", "email": "a@x.io", "timestamp": 1700000000,
                        "sg_event_id": "odd-1", "sg_message_id": "m1"},
                       json.loads(sample("sendgrid", "delivered"))[0]]).encode()
    assert post_sendgrid(hook_client, keys, body).status_code == 200
    fold_all(engine, hook_settings)
    assert table(engine, "SELECT provider, event_key, event_type FROM webhook_quarantine") == [
        ("sendgrid", "sendgrid:odd-1", "teleported")]
    assert table(engine, "SELECT type FROM email_event") == [("delivered",)]
    assert table(engine, "SELECT events, quarantined, folded_at IS NOT NULL "
                         "FROM webhook_delivery") == [(1, 1, True)]


def _batch() -> list[dict[str, object]]:
    """Three recipients of one campaign: an open before its delivery, a late delivery
    after a bounce, clicks, machine opens, an unsubscribe, repeated event ids."""
    def event(n: int, kind: str, who: str, at: int, **extra: object) -> dict[str, object]:
        return {"event": kind, "email": f"{who}@example.com", "timestamp": 1700000000 + at,
                "sg_event_id": f"ev-{n}", "sg_message_id": f"sg-{who}",
                "campaign_id": "autumn", **extra}
    return [
        event(1, "processed", "ann", 0), event(2, "open", "ann", 50, sg_machine_open=True,
                                               useragent="proxy"),
        event(3, "delivered", "ann", 10), event(4, "open", "ann", 90, useragent="Firefox"),
        event(5, "click", "ann", 95, url="https://shop.example.com/a"),
        event(6, "processed", "bob", 1), event(7, "bounce", "bob", 20, type="blocked"),
        event(8, "delivered", "bob", 400),
        event(9, "processed", "cy", 2), event(10, "delivered", "cy", 15),
        event(11, "unsubscribe", "cy", 600), event(12, "spamreport", "cy", 700),
        event(13, "bounce", "bob", 30, type="bounce"),
    ]


def _wipe(engine: Engine) -> None:
    with engine.begin() as connection:
        for name in ("email_event", "message", "customer", "campaign", "rollup_campaign_day",
                     "webhook_delivery", "webhook_quarantine", "job_run"):
            connection.execute(text(f"DELETE FROM {name}"))


def test_forty_shuffled_replays_leave_the_state_of_one_ordered_delivery(
        hook_client: TestClient, keys: Keys, engine: Engine, hook_settings: Settings) -> None:
    batch = _batch()
    in_order = sorted(batch, key=lambda event: int(event["timestamp"]))  # type: ignore[arg-type]
    assert post_sendgrid(hook_client, keys, json.dumps(in_order).encode()).status_code == 200
    fold_all(engine, hook_settings)
    expected = state(engine)
    assert len(expected["email_event"]) == 10  # three 'processed' make sends, not events

    _wipe(engine)
    rng = random.Random(13)
    for attempt in range(40):
        shuffled = batch[:]
        rng.shuffle(shuffled)
        # Some deliveries come split in two, so a late event arrives in its own request.
        cut = rng.randrange(1, len(shuffled)) if attempt % 3 == 0 else len(shuffled)
        for part in (shuffled[:cut], shuffled[cut:]):
            if part:
                body = json.dumps(part).encode()
                assert post_sendgrid(hook_client, keys, body).status_code == 200
        if attempt % 7 == 0:
            fold_all(engine, hook_settings)  # some folds happen between deliveries
    fold_all(engine, hook_settings)
    assert state(engine) == expected


def test_a_byte_for_byte_repeat_is_recognised_and_not_folded_again(
        hook_client: TestClient, keys: Keys, engine: Engine, hook_settings: Settings) -> None:
    body = sample("sendgrid", "open")
    first = post_sendgrid(hook_client, keys, body).json()
    again = post_sendgrid(hook_client, keys, body).json()
    assert (again["duplicate"], again["delivery"], again["job"]) == (
        True, first["delivery"], None)
    assert table(engine, "SELECT count(*) FROM job_run") == [(1,)]
    fold_all(engine, hook_settings)
    assert table(engine, "SELECT open_count FROM message") == [(1,)]


def test_webhooks_need_no_api_key_but_other_api_paths_still_do(
        hook_client: TestClient) -> None:
        assert hook_client.post("/api/import/customers?format=csv", content=b"").status_code == 401
