"""SES through SNS: the path token and topic check, both event forms, many recipients."""

from __future__ import annotations

import json

import pytest

from server.webhooks import PayloadError, SignatureError, TagKeys, ses
from tests.server.webhooks.support import SES_TOKEN, TOPIC_ARN, sample, sample_names

EXPECTED = {
    "send": ("Send", None, None), "delivery": ("Delivery", "delivered", None),
    "bounce_permanent": ("Bounce/Permanent", "bounce", "hard"),
    "bounce_transient": ("Bounce/Transient", "bounce", "soft"),
    "bounce_undetermined": ("Bounce/Undetermined", "bounce", "soft"),
    "complaint": ("Complaint", "complaint", None), "reject": ("Reject", "dropped", None),
    "rendering_failure": ("Rendering Failure", "dropped", None),
    "delivery_delay": ("DeliveryDelay", "deferred", None),
    "open": ("Open", "open", None), "click": ("Click", "click", None),
    "subscription": ("Subscription", "unsubscribe", None),
    "legacy_bounce": ("Bounce/Permanent", "bounce", "hard"),
    "legacy_complaint": ("Complaint", "complaint", None),
    "legacy_delivery": ("Delivery", "delivered", None),
}


def test_every_event_type_has_a_sample() -> None:
    assert sorted([*EXPECTED, "subscription_confirmation"]) == sample_names("ses")
    assert {kind for kind, _, _ in EXPECTED.values()} | {"Subscription/kept"} == set(
        ses.MAPPING)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_sample_maps_to_our_event(name: str) -> None:
    parsed = ses.parse(sample("ses", name), TagKeys())
    assert parsed.unknown == []
    event = parsed.events[0]
    assert (event.provider_type, event.type, event.bounce_type) == EXPECTED[name]
    assert event.campaign_id == "spring-sale"
    assert event.email == "recipient@example.com"
    envelope = json.loads(sample("ses", name))
    assert event.event_id == (f"ses:{envelope['MessageId']}|recipient@example.com|"
                              f"{event.provider_type}")


def test_one_notification_naming_two_recipients_makes_two_events() -> None:
    events = ses.parse(sample("ses", "delivery"), TagKeys()).events
    assert [event.email for event in events] == ["recipient@example.com",
                                                 "second@example.com"]
    assert len({event.event_id for event in events}) == 2
    assert len({event.message_id for event in events}) == 2


def test_a_subscription_confirmation_is_kept_for_a_person() -> None:
    [kept] = ses.parse(sample("ses", "subscription_confirmation"), TagKeys()).unknown
    assert kept.provider_type == "SNS SubscriptionConfirmation"
    assert "SubscribeURL" in kept.reason


def test_an_unknown_event_type_is_kept_with_its_envelope() -> None:
    envelope = json.loads(sample("ses", "open"))
    message = json.loads(envelope["Message"])
    message["eventType"] = "Teleport"
    envelope["Message"] = json.dumps(message)
    [kept] = ses.parse(json.dumps(envelope).encode(), TagKeys()).unknown
    assert kept.provider_type == "Teleport"
    assert kept.payload["MessageId"] == envelope["MessageId"]


def test_the_right_token_and_topic_pass() -> None:
    ses.verify(json.loads(sample("ses", "open")), SES_TOKEN, SES_TOKEN, [TOPIC_ARN])


@pytest.mark.parametrize(("token", "topic"), [
    ("wrong", TOPIC_ARN), (None, TOPIC_ARN),
    (SES_TOKEN, "arn:aws:sns:us-east-1:999999999999:other")])
def test_a_wrong_token_or_topic_is_refused(token: str | None, topic: str) -> None:
    envelope = {**json.loads(sample("ses", "open")), "TopicArn": topic}
    with pytest.raises(SignatureError):
        ses.verify(envelope, token, SES_TOKEN, [TOPIC_ARN])


def test_a_body_that_is_not_sns_is_refused() -> None:
    with pytest.raises(PayloadError):
        ses.envelope(b'{"eventType": "Open"}')
