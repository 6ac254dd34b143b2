"""``POST /webhooks/{provider}`` end to end: signed samples in, events out; tampering,
replays and reordering change nothing they should not."""

from __future__ import annotations

import json
import random

import pytest
from sqlalchemy import Engine, text
from starlette.testclient import TestClient

from server.settings import Settings
from tests.server.webhooks.support import (
    SES_TOKEN,
    TOPIC_ARN,
    Keys,
    basic,
    fold_all,
    sample,
    state,
    table,
)

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


def _mailgun(keys: Keys, name: str) -> bytes:
    return keys.mailgun_body(json.loads(sample("mailgun", name))["event-data"])


MAILGUN_TYPES = {"accepted": None, "rejected": "dropped", "delivered": "delivered",
                 "failed_permanent": "bounce", "failed_temporary": "deferred",
                 "opened": "open", "clicked": "click", "unsubscribed": "unsubscribe",
                 "complained": "complaint"}
POSTMARK_TYPES = {"delivery": "delivered", "bounce_hard": "bounce", "bounce_soft": "bounce",
                  "bounce_transient": "deferred", "bounce_autoresponder": None,
                  "spam_complaint": "complaint", "open": "open", "click": "click",
                  "subscription_change": "unsubscribe", "subscription_reactivated": None}
SES_TYPES = {"send": None, "delivery": "delivered", "bounce_permanent": "bounce",
             "bounce_transient": "bounce", "bounce_undetermined": "bounce",
             "complaint": "complaint", "reject": "dropped", "rendering_failure": "dropped",
             "delivery_delay": "deferred", "open": "open", "click": "click",
             "subscription": "unsubscribe", "legacy_bounce": "bounce",
             "legacy_complaint": "complaint", "legacy_delivery": "delivered"}


def test_mailgun_samples_signed_become_events(
        hook_client: TestClient, keys: Keys, engine: Engine, hook_settings: Settings) -> None:
    for name in MAILGUN_TYPES:
        response = hook_client.post("/webhooks/mailgun", content=_mailgun(keys, name))
        assert response.status_code == 200, (name, response.text)
    fold_all(engine, hook_settings)
    stored = dict(table(engine, "SELECT event_id, type FROM email_event"))
    for name, ours in MAILGUN_TYPES.items():
        event_id = "mailgun:" + json.loads(sample("mailgun", name))["event-data"]["id"]
        assert stored.get(event_id) == ours, name
    assert table(engine, "SELECT campaign_id, customer_id FROM message") == [
        ("spring-sale", "alice@example.com")]


def test_mailgun_replayed_tokens_and_bad_signatures_change_nothing(
        hook_client: TestClient, keys: Keys, engine: Engine) -> None:
    body = _mailgun(keys, "opened")
    assert hook_client.post("/webhooks/mailgun", content=body).status_code == 200
    replay = hook_client.post("/webhooks/mailgun", content=body)
    assert replay.status_code == 406
    assert "used before" in replay.json()["error"]
    # Mailgun signs the timestamp and token, not the body: a captured token reused on
    # another body is a replay too.
    other = body.replace(b"alice@example.com", b"mallory@example.com")
    assert hook_client.post("/webhooks/mailgun", content=other).status_code == 406
    fresh = json.loads(_mailgun(keys, "opened"))
    fresh["signature"]["signature"] = "0" * 64
    tampered = json.dumps(fresh).encode()
    assert hook_client.post("/webhooks/mailgun", content=tampered).status_code == 401
    stale = keys.mailgun_body(json.loads(sample("mailgun", "opened"))["event-data"],
                              timestamp=1_600_000_000)
    assert hook_client.post("/webhooks/mailgun", content=stale).status_code == 401
    assert table(engine, "SELECT count(*) FROM webhook_delivery") == [(1,)]
    assert table(engine, "SELECT count(*) FROM webhook_token") == [(1,)]


def test_postmark_samples_with_basic_auth_become_events(
        hook_client: TestClient, engine: Engine, hook_settings: Settings) -> None:
    for name in POSTMARK_TYPES:
        response = hook_client.post("/webhooks/postmark", content=sample("postmark", name),
                                    headers=basic())
        assert response.status_code == 200, (name, response.text)
    assert hook_client.post("/webhooks/postmark", content=sample("postmark", "open"),
                            headers=basic(password="nope")).status_code == 401
    assert hook_client.post("/webhooks/postmark",
                            content=sample("postmark", "open")).status_code == 401
    fold_all(engine, hook_settings)
    assert sorted(table(engine, "SELECT type FROM email_event")) == sorted(
        (ours,) for ours in POSTMARK_TYPES.values() if ours is not None)
    assert table(engine, "SELECT open_count, click_count, bounce_type FROM message") == [
        (1, 1, "hard")]


def test_ses_notifications_on_the_secret_path_become_events(
        hook_client: TestClient, engine: Engine, hook_settings: Settings) -> None:
    for name in SES_TYPES:
        response = hook_client.post(f"/webhooks/ses/{SES_TOKEN}", content=sample("ses", name))
        assert response.status_code == 200, (name, response.text)
    confirmation = sample("ses", "subscription_confirmation")
    assert hook_client.post(f"/webhooks/ses/{SES_TOKEN}",
                            content=confirmation).status_code == 200
    for url in ("/webhooks/ses/wrong-token", "/webhooks/ses"):
        assert hook_client.post(url, content=sample("ses", "open")).status_code == 401
    other_topic = sample("ses", "open").replace(TOPIC_ARN.encode(), b"arn:aws:sns:x:1:y")
    assert hook_client.post(f"/webhooks/ses/{SES_TOKEN}",
                            content=other_topic).status_code == 401
    fold_all(engine, hook_settings)
    expected = sorted([(ours,) for ours in SES_TYPES.values() if ours is not None]
                      + [("delivered",)])  # the delivery sample names two recipients
    assert sorted(table(engine, "SELECT type FROM email_event")) == expected
    assert sorted(table(engine, "SELECT customer_id FROM customer")) == [
        ("recipient@example.com",), ("second@example.com",)]
    assert table(engine, "SELECT event_type FROM webhook_quarantine") == [
        ("SNS SubscriptionConfirmation",)]


def test_the_ses_token_never_reaches_the_access_log() -> None:
    import logging

    from server.api.webhooks import RedactSesToken, redact_access_log

    logger = logging.getLogger("test.access")
    redact_access_log(logger)
    redact_access_log(logger)
    assert sum(isinstance(f, RedactSesToken) for f in logger.filters) == 1
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                               '%s - "%s %s HTTP/%s" %d', ("127.0.0.1:5", "POST",
                               f"/webhooks/ses/{SES_TOKEN}", "1.1", 200), None)
    assert logger.filters[0].filter(record)
    assert record.getMessage() == '127.0.0.1:5 - "POST /webhooks/ses/<token> HTTP/1.1" 200'
    assert SES_TOKEN not in record.getMessage()


def test_a_delivery_kept_while_the_broker_is_down_is_queued_by_the_retry(
        hook_client: TestClient, keys: Keys, engine: Engine,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from server.runners import webhooks as runner

    real_send = runner.send

    def broker_down(*args: object, **kwargs: object) -> int:
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(runner, "send", broker_down)
    body = sample("sendgrid", "open")
    refused = post_sendgrid(hook_client, keys, body)
    assert refused.status_code == 503
    assert "was kept but its fold could not be queued" in refused.json()["error"]
    monkeypatch.setattr(runner, "send", real_send)
    retried = post_sendgrid(hook_client, keys, body).json()
    assert (retried["duplicate"], retried["job"] is not None) == (True, True)
    again = post_sendgrid(hook_client, keys, body).json()
    assert again["job"] is None  # queued once, not again
    assert table(engine, "SELECT count(*) FROM webhook_delivery") == [(1,)]
