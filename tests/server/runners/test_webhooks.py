"""The webhooks runner: tag keys, folding once, re-processing what is still unknown."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine

from server.db.repository.webhooks import store_delivery
from server.runners import webhooks as runner
from server.settings import Settings, configure
from server.webhooks import TagKeys
from tests.server.webhooks.support import sample, table


def test_tag_keys_come_from_the_settings_per_provider(settings: Settings) -> None:
    custom = configure(**(settings.model_dump() | {
        "webhook_tag_keys": {"ses": {"campaign": "campaign-name"}}}))
    assert runner.tag_keys(custom, "ses") == TagKeys(campaign="campaign-name")
    assert runner.tag_keys(custom, "sendgrid") == TagKeys()
    wrong = configure(**(settings.model_dump() | {
        "webhook_tag_keys": {"ses": {"campain": "x"}}}))
    with pytest.raises(ValueError, match=r"names \['campain'\]: use campaign"):
        runner.tag_keys(wrong, "ses")


def test_a_delivery_is_folded_once(settings: Settings, engine: Engine) -> None:
    delivery_id, _ = store_delivery(engine=engine, provider="sendgrid",
                                    body=sample("sendgrid", "click"))
    first = runner.fold(engine, settings, delivery_id)
    second = runner.fold(engine, settings, delivery_id)
    assert (first.events, first.stored, first.quarantined) == (1, 1, 0)
    assert (second.events, second.stored) == (1, 0)
    assert table(engine, "SELECT click_count FROM message") == [(1,)]
    with pytest.raises(LookupError, match="webhook delivery 99 does not exist"):
        runner.fold(engine, settings, 99)


def test_events_without_an_address_are_kept_not_stored(settings: Settings,
                                                       engine: Engine) -> None:
    body = json.dumps([{"event": "open", "email": "not-an-address", "timestamp": 1,
                        "sg_event_id": "e1", "sg_message_id": "m1"}]).encode()
    delivery_id, _ = store_delivery(engine=engine, provider="sendgrid", body=body)
    folded = runner.fold(engine, settings, delivery_id)
    assert (folded.events, folded.quarantined) == (0, 1)
    assert table(engine, "SELECT reason FROM webhook_quarantine") == [
        ("recipient 'not-an-address' is not an email address",)]
    assert table(engine, "SELECT count(*) FROM message") == [(0,)]


def test_reprocessing_leaves_what_is_still_unknown(settings: Settings,
                                                   engine: Engine) -> None:
    delivery_id, _ = store_delivery(engine=engine, provider="ses",
                                    body=sample("ses", "subscription_confirmation"))
    runner.fold(engine, settings, delivery_id)
    [(kept_id,)] = table(engine, "SELECT id FROM webhook_quarantine")
    done = runner.reprocess(engine, settings, [kept_id])
    assert (done.events, done.stored, done.quarantined) == (0, 0, 1)
    assert table(engine, "SELECT resolved_at FROM webhook_quarantine") == [(None,)]
