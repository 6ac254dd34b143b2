"""Customer addresses as they are stored: plain, or a keyed hash when
``MAILSCOPE_EMAIL_HASHING`` is on (see "Hashing of addresses at rest" in the README).

Every path that writes an address or looks one up (imports, provider webhooks, search,
erasure tombstones) goes through ``stored_email``, so a lookup hashes the incoming
address with the same key and finds the stored hash.
"""

from __future__ import annotations

import hashlib
import hmac

import polars as pl

from server.settings import Settings, get_settings

# Stored hashes read ``h1:`` and 64 hex digits: HMAC-SHA256 of the trimmed, lower-cased
# address. The version names the scheme, so a later one can be told apart.
PREFIX = "h1:"
HIDDEN_REASON = ("addresses are stored as keyed hashes (MAILSCOPE_EMAIL_HASHING); "
                 "the plain address is not kept")


def normalise(address: str) -> str:
    """The form that is hashed: trimmed and lower-cased."""
    return address.strip().lower()


def is_hashed(value: str) -> bool:
    """Whether ``value`` is a stored hash (an address always has an ``@``)."""
    return value.startswith(PREFIX) and "@" not in value


def _key(settings: Settings) -> bytes:
    if settings.email_hash_key is None:
        raise ValueError("MAILSCOPE_EMAIL_HASH_KEY is not set")
    return settings.email_hash_key.get_secret_value().encode()


def hash_email(address: str, settings: Settings) -> str:
    """``h1:`` and the hex HMAC-SHA256 of the normalised address under the settings' key."""
    digest = hmac.new(_key(settings), normalise(address).encode(), hashlib.sha256)
    return PREFIX + digest.hexdigest()


def stored_email(address: str, settings: Settings | None = None) -> str:
    """How ``address`` is stored and looked up: unchanged while hashing is off, its keyed
    hash while it is on (a value that already is a hash is returned as it is)."""
    settings = settings or get_settings()
    if not settings.email_hashing or is_hashed(address):
        return address
    return hash_email(address, settings)


def stored_recipient(value: str, settings: Settings | None = None) -> str:
    """``stored_email`` of a provider's recipient field when it is an address; anything
    else (a missing field) as it is."""
    return stored_email(value, settings) if "@" in value else value


def stored_email_column(frame: pl.DataFrame, column: str = "email",
                        settings: Settings | None = None) -> pl.DataFrame:
    """``frame`` with ``column`` in its stored form (nulls stay null)."""
    settings = settings or get_settings()
    if not settings.email_hashing or column not in frame.columns:
        return frame
    values = [None if value is None else stored_email(value, settings)
              for value in frame.get_column(column).to_list()]
    return frame.with_columns(pl.Series(column, values, dtype=pl.String))


def key_fingerprint(settings: Settings) -> str:
    """A digest that tells whether the key is the one a database was hashed with,
    without revealing it."""
    return hmac.new(_key(settings), b"mailscope email hash key check",
                    hashlib.sha256).hexdigest()
