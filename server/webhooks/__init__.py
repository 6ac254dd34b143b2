"""Provider webhooks, the pure part: verifying a delivery's signature and mapping each
provider's events to Mailscope's event rows. Nothing here touches the database; the
runner (``server.runners.webhooks``) stores deliveries and folds them in.

The mapping of every documented provider event type to Mailscope's event types is the
``MAPPING`` of each provider module, and the table in ``docs/webhooks.md``.
"""

from __future__ import annotations

from server.webhooks.common import (
    Parsed,
    PayloadError,
    ProviderEvent,
    SignatureError,
    TagKeys,
    Unknown,
)
from server.webhooks.providers import PROVIDERS, Provider, get_provider

__all__ = ["PROVIDERS", "Parsed", "PayloadError", "Provider", "ProviderEvent",
           "SignatureError", "TagKeys", "Unknown", "get_provider"]
