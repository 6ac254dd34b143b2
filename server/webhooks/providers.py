"""The providers by name: how each parses a delivery and maps its event types."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from server.webhooks import mailgun, postmark, sendgrid, ses
from server.webhooks.common import Parsed, TagKeys


@dataclass(frozen=True)
class Provider:
    name: str
    title: str
    # Provider event type -> (our event type or None, bounce type).
    mapping: dict[str, tuple[str | None, str | None]]
    parse: Callable[[bytes, TagKeys], Parsed]
    # A kept (quarantined) event's payload as a body ``parse`` reads again.
    rewrap: Callable[[Mapping[str, Any]], Any]


PROVIDERS: dict[str, Provider] = {provider.name: provider for provider in (
    Provider(sendgrid.NAME, "SendGrid", sendgrid.MAPPING, sendgrid.parse,
             lambda payload: [payload]),
    Provider(mailgun.NAME, "Mailgun", mailgun.MAPPING, mailgun.parse,
             lambda payload: {"event-data": payload}),
    Provider(postmark.NAME, "Postmark", postmark.MAPPING, postmark.parse,
             lambda payload: payload),
    # SES keeps the whole SNS envelope aside, since event ids derive from its MessageId.
    Provider(ses.NAME, "Amazon SES (SNS)", ses.MAPPING, ses.parse, lambda payload: payload),
)}


def get_provider(name: str) -> Provider:
    """The provider called ``name``; ``LookupError`` naming the known ones otherwise."""
    try:
        return PROVIDERS[name]
    except KeyError:
        raise LookupError(f"unknown webhook provider {name!r}: use one of "
                          f"{', '.join(PROVIDERS)}") from None


def reparse(provider: Provider, payload: Mapping[str, Any], keys: TagKeys) -> Parsed:
    """Map a kept event again (after the mapping learned its type)."""
    return provider.parse(json.dumps(provider.rewrap(payload)).encode(), keys)
