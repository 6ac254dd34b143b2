"""Mailgun: HMAC signature, freshness, and the mapping of every documented event."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from server.webhooks import SignatureError, TagKeys, mailgun
from tests.server.webhooks.support import Keys, sample, sample_names

EXPECTED = {
    "accepted": (None, None), "rejected": ("dropped", None),
    "delivered": ("delivered", None), "failed_permanent": ("bounce", "hard"),
    "failed_temporary": ("deferred", None), "opened": ("open", None),
    "clicked": ("click", None), "unsubscribed": ("unsubscribe", None),
    "complained": ("complaint", None),
}
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def test_every_documented_event_type_has_a_sample() -> None:
    assert sorted(EXPECTED) == sample_names("mailgun")
    assert {name.replace("_", "/") for name in EXPECTED} == set(mailgun.MAPPING)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_sample_maps_to_our_event(name: str) -> None:
    parsed = mailgun.parse(sample("mailgun", name), TagKeys())
    assert parsed.unknown == []
    [event] = parsed.events
    assert (event.type, event.bounce_type) == EXPECTED[name]
    data = json.loads(sample("mailgun", name))["event-data"]
    assert event.event_id == "mailgun:" + data["id"]
    assert event.message_id == ("20130503182626.18666.16540@sandbox.mailgun.org"
                                "|alice@example.com")
    assert event.campaign_id == "spring-sale"


def test_clicked_keeps_the_url_and_the_tags_are_the_fallback_campaign() -> None:
    data = json.loads(sample("mailgun", "clicked"))
    [event] = mailgun.parse(json.dumps(data).encode(), TagKeys()).events
    assert event.url == "https://example.com/spring"
    del data["event-data"]["user-variables"]["campaign_id"]
    [untagged] = mailgun.parse(json.dumps(data).encode(), TagKeys()).events
    assert untagged.campaign_id == "my_tag_1"


def test_an_unknown_event_is_kept_aside() -> None:
    body = json.dumps({"event-data": {"event": "stored", "id": "s1"}}).encode()
    [unknown] = mailgun.parse(body, TagKeys()).unknown
    assert (unknown.event_key, unknown.provider_type) == ("mailgun:s1", "stored")


def test_a_fresh_valid_signature_passes(keys: Keys) -> None:
    body = keys.mailgun_body({}, timestamp=int(NOW.timestamp()) - 60, token="t" * 50)
    mailgun.verify(mailgun.proof(body), keys.mailgun, NOW)


@pytest.mark.parametrize("tamper", ["signature", "token", "timestamp", "old", "future",
                                    "key"])
def test_bad_or_stale_signatures_are_refused(keys: Keys, tamper: str) -> None:
    stamp = int(NOW.timestamp())
    if tamper == "old":
        stamp -= int(timedelta(minutes=5, seconds=1).total_seconds())
    if tamper == "future":
        stamp += 301
    proof = mailgun.proof(keys.mailgun_body({}, timestamp=stamp, token="t" * 50))
    if tamper == "signature":
        proof = mailgun.Proof(proof.timestamp, proof.token, "0" * 64)
    elif tamper == "token":
        proof = mailgun.Proof(proof.timestamp, "u" * 50, proof.signature)
    elif tamper == "timestamp":
        proof = mailgun.Proof(str(stamp - 1), proof.token, proof.signature)
    signing_key = "another-key" if tamper == "key" else keys.mailgun
    with pytest.raises(SignatureError):
        mailgun.verify(proof, signing_key, NOW)


def test_a_body_without_a_signature_is_refused() -> None:
    with pytest.raises(SignatureError, match="no signature"):
        mailgun.proof(sample("mailgun", "opened"))
