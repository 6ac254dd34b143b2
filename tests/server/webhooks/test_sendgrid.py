"""SendGrid: the signature check and the mapping of every documented event type."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from server.webhooks import PayloadError, SignatureError, TagKeys, sendgrid
from tests.server.webhooks.support import Keys, sample, sample_names

# Sample file -> (our type, bounce type, machine open).
EXPECTED = {
    "processed": (None, None, False),
    "dropped": ("dropped", None, False),
    "delivered": ("delivered", None, False),
    "deferred": ("deferred", None, False),
    "bounce": ("bounce", "hard", False),
    "blocked": ("bounce", "soft", False),
    "open": ("open", None, False),
    "machine_open": ("open", None, True),
    "click": ("click", None, False),
    "spamreport": ("complaint", None, False),
    "unsubscribe": ("unsubscribe", None, False),
    "group_unsubscribe": ("unsubscribe", None, False),
    "group_resubscribe": (None, None, False),
}


def test_every_documented_event_type_has_a_sample() -> None:
    assert sorted(EXPECTED) == sample_names("sendgrid")
    mapped = {key.split("/")[0] for key in sendgrid.MAPPING}
    covered = {json.loads(sample("sendgrid", name))[0]["event"] for name in EXPECTED}
    assert covered == mapped


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_sample_maps_to_our_event(name: str) -> None:
    parsed = sendgrid.parse(sample("sendgrid", name), TagKeys())
    assert parsed.unknown == []
    [event] = parsed.events
    assert (event.type, event.bounce_type, event.machine_open) == EXPECTED[name]
    assert event.email == "example@test.com"
    assert event.campaign_id == "spring-sale"
    assert event.provider_message_id == "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0"
    assert event.message_id == ("14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0"
                                "|example@test.com")
    assert event.event_id == "sendgrid:" + json.loads(sample("sendgrid", name))[0][
        "sg_event_id"]
    assert event.occurred_at.tzinfo is UTC


def test_click_keeps_url_and_user_agent() -> None:
    [event] = sendgrid.parse(sample("sendgrid", "click"), TagKeys()).events
    assert event.url == "http://www.sendgrid.com/"
    assert event.user_agent is not None and event.user_agent.startswith("Mozilla/5.0")
    assert event.occurred_at == datetime(2017, 12, 15, 0, 59, 37, tzinfo=UTC)


def test_tag_keys_choose_the_custom_args_and_category_is_the_fallback() -> None:
    body = json.dumps([{"event": "delivered", "email": "a@x.io", "timestamp": 1,
                        "sg_event_id": "e1", "sg_message_id": "m1", "category": ["news"],
                        "camp": "c-9", "cust": "u-9", "arm": "B"}]).encode()
    [custom] = sendgrid.parse(body, TagKeys("camp", "cust", "arm")).events
    assert (custom.campaign_id, custom.customer_id, custom.variant_id) == ("c-9", "u-9", "B")
    [fallback] = sendgrid.parse(body, TagKeys()).events
    assert (fallback.campaign_id, fallback.customer_id, fallback.variant_id) == (
        "news", None, None)


def test_unknown_and_incomplete_events_are_kept_aside_with_the_reason() -> None:
    body = json.dumps([{"event": "teleported", "email": "a@x.io", "timestamp": 1,
                        "sg_event_id": "e1", "sg_message_id": "m1"},
                       {"event": "open", "timestamp": 1, "sg_event_id": "e2"}]).encode()
    parsed = sendgrid.parse(body, TagKeys())
    assert parsed.events == []
    assert [(u.event_key, u.provider_type) for u in parsed.unknown] == [
        ("sendgrid:e1", "teleported"), ("sendgrid:e2", "open")]
    assert "unknown SendGrid event 'teleported'" in parsed.unknown[0].reason
    assert "no email, sg_message_id" in parsed.unknown[1].reason


@pytest.mark.parametrize("body", [b"not json", b'{"event": "open"}', b"[1]"])
def test_a_body_that_is_not_an_event_array_is_refused(body: bytes) -> None:
    with pytest.raises(PayloadError):
        sendgrid.parse(body, TagKeys())


def _other_public_key() -> str:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    return base64.b64encode(key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()


def test_a_valid_signature_passes(keys: Keys) -> None:
    body = sample("sendgrid", "open")
    headers = {k.lower(): v for k, v in keys.sendgrid_headers(body).items()}
    sendgrid.verify(headers, body, keys.public_b64)


@pytest.mark.parametrize("tamper", ["body", "timestamp", "signature", "missing", "key"])
def test_tampering_is_refused(keys: Keys, tamper: str) -> None:
    body = sample("sendgrid", "open")
    headers = {k.lower(): v for k, v in keys.sendgrid_headers(body, "1700000000").items()}
    public_key = keys.public_b64
    if tamper == "body":
        body = body.replace(b"example@test.com", b"attacker@test.com")
    elif tamper == "timestamp":
        headers["x-twilio-email-event-webhook-timestamp"] = "1700000001"
    elif tamper == "signature":
        headers["x-twilio-email-event-webhook-signature"] = "bm90IGEgc2lnbmF0dXJl"
    elif tamper == "missing":
        del headers["x-twilio-email-event-webhook-signature"]
    else:
        public_key = _other_public_key()
    with pytest.raises(SignatureError):
        sendgrid.verify(headers, body, public_key)


def test_an_unconfigured_or_malformed_key_is_named() -> None:
    with pytest.raises(SignatureError, match="MAILSCOPE_WEBHOOK_SENDGRID_PUBLIC_KEY"):
        sendgrid.verify({}, b"[]", None)
    with pytest.raises(ValueError, match="not an ECDSA public key"):
        sendgrid.load_public_key("bm90IGEga2V5")
