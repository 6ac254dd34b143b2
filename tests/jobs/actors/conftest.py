"""Fixtures the actor tests share with the server tests."""

from tests.server.webhooks.support import (  # noqa: F401  (fixtures, found by name)
    clean_broker,
    hook_client,
    hook_settings,
    keys,
)
