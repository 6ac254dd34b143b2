"""Postmark: Basic credentials and the mapping of every documented record type."""

from __future__ import annotations

import json

import pytest

from server.webhooks import SignatureError, TagKeys, postmark
from tests.server.webhooks.support import (
    POSTMARK_PASSWORD,
    POSTMARK_USER,
    basic,
    sample,
    sample_names,
)

EXPECTED = {
    "delivery": ("Delivery", "delivered", None),
    "bounce_hard": ("Bounce/HardBounce", "bounce", "hard"),
    "bounce_soft": ("Bounce/SoftBounce", "bounce", "soft"),
    "bounce_transient": ("Bounce/Transient", "deferred", None),
    "bounce_autoresponder": ("Bounce/AutoResponder", None, None),
    "spam_complaint": ("SpamComplaint", "complaint", None),
    "open": ("Open", "open", None),
    "click": ("Click", "click", None),
    "subscription_change": ("SubscriptionChange/ManualSuppression", "unsubscribe", None),
    "subscription_reactivated": ("SubscriptionChange/Reactivated", None, None),
}


def test_every_record_type_has_a_sample() -> None:
    assert sorted(EXPECTED) == sample_names("postmark")
    record_types = {key.split("/")[0] for key in postmark.MAPPING}
    assert record_types == {json.loads(sample("postmark", name))["RecordType"]
                            for name in EXPECTED}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_sample_maps_to_our_event(name: str) -> None:
    parsed = postmark.parse(sample("postmark", name), TagKeys())
    assert parsed.unknown == []
    [event] = parsed.events
    assert (event.provider_type, event.type, event.bounce_type) == EXPECTED[name]
    assert event.email == "john@example.com"
    assert event.campaign_id == "spring-sale"
    assert event.provider_message_id == "883953f4-6105-42a2-a16a-77a8eac79483"


def test_bounces_key_on_type_not_type_code() -> None:
    data = json.loads(sample("postmark", "bounce_hard"))
    data["TypeCode"] = 4096  # a soft bounce's code: ignored
    [event] = postmark.parse(json.dumps(data).encode(), TagKeys()).events
    assert event.bounce_type == "hard"


def test_dedup_key_is_message_record_type_and_time() -> None:
    [first] = postmark.parse(sample("postmark", "open"), TagKeys()).events
    data = json.loads(sample("postmark", "open"))
    data["ReceivedAt"] = "2019-11-05T16:40:00Z"
    [second] = postmark.parse(json.dumps(data).encode(), TagKeys()).events
    assert first.event_id == ("postmark:883953f4-6105-42a2-a16a-77a8eac79483|Open|"
                              "2019-11-05T16:34:54.9070259Z")
    assert second.event_id != first.event_id


def test_an_unknown_bounce_type_is_kept_aside() -> None:
    data = json.loads(sample("postmark", "bounce_hard"))
    data["Type"] = "QuantumBounce"
    [unknown] = postmark.parse(json.dumps(data).encode(), TagKeys()).unknown
    assert unknown.provider_type == "Bounce/QuantumBounce"


def test_the_configured_credentials_pass() -> None:
    postmark.verify(basic()["Authorization"], POSTMARK_USER, POSTMARK_PASSWORD)


@pytest.mark.parametrize("header", [None, "Bearer x", "Basic !!!",
                                    basic(POSTMARK_USER, "wrong")["Authorization"],
                                    basic("someone", POSTMARK_PASSWORD)["Authorization"]])
def test_other_credentials_are_refused(header: str | None) -> None:
    with pytest.raises(SignatureError):
        postmark.verify(header, POSTMARK_USER, POSTMARK_PASSWORD)
