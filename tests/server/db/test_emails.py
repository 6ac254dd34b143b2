"""``stored_email``: the one function every address passes through on its way in."""

from __future__ import annotations

import hashlib
import hmac

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from pydantic import ValidationError

from server.db.emails import (
    hash_email,
    is_hashed,
    key_fingerprint,
    stored_email,
    stored_email_column,
)
from server.settings import Settings

KEY = "k" * 40
ON = Settings(email_hashing=True, email_hash_key=KEY)
OFF = Settings()


def test_hashing_is_keyed_hmac_of_the_normalised_address() -> None:
    expected = "h1:" + hmac.new(KEY.encode(), b"ana@example.com", hashlib.sha256).hexdigest()
    assert stored_email(" Ana@Example.COM ", ON) == expected
    assert stored_email(expected, ON) == expected  # already stored: unchanged
    assert is_hashed(expected) and not is_hashed("h1:ana@example.com")
    other = Settings(email_hashing=True, email_hash_key="z" * 40)
    assert hash_email("ana@example.com", other) != expected
    assert key_fingerprint(ON) != key_fingerprint(other)
    assert KEY not in key_fingerprint(ON)


def test_hashing_off_leaves_addresses_as_they_are() -> None:
    assert stored_email("Ana@Example.com", OFF) == "Ana@Example.com"
    frame = pl.DataFrame({"email": ["ana@example.com", None]})
    assert_frame_equal(stored_email_column(frame, settings=OFF), frame)
    assert_frame_equal(stored_email_column(frame, settings=ON), pl.DataFrame(
        {"email": [hash_email("ana@example.com", ON), None]}))


def test_hashing_needs_a_long_secret_that_is_never_shown() -> None:
    with pytest.raises(ValidationError, match="MAILSCOPE_EMAIL_HASHING=on needs "
                                              "MAILSCOPE_EMAIL_HASH_KEY"):
        Settings(email_hashing=True, email_hash_key="short")
    assert KEY not in repr(ON) and KEY not in str(ON.model_dump())


@given(st.emails())
def test_case_and_spaces_never_change_the_hash(address: str) -> None:
    value = stored_email(address, ON)
    assert value == stored_email(f"  {address.upper()} ", ON)
    assert len(value) == 67 and "@" not in value and is_hashed(value)
