"""Fixtures shared by the server tests of more than one module."""

from tests.server.webhooks.support import (  # noqa: F401  (fixtures, found by name)
    clean_broker,
    hook_client,
    hook_settings,
    keys,
)
