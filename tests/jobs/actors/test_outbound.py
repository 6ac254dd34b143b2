"""The outbound signature: a golden value, and any change to body or time breaks it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from jobs.actors.outbound import signature


def test_golden_signature() -> None:
    # hex(HMAC-SHA256(b"secret", b'1700000000.{"a":1}'))
    assert signature("secret", 1_700_000_000, b'{"a":1}') == (
        "v1=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686")


@given(st.binary(max_size=64), st.integers(0, 2**40))
def test_signature_binds_body_and_time(body: bytes, timestamp: int) -> None:
    assert signature("k", timestamp, body) != signature("k", timestamp + 1, body)
    assert signature("k", timestamp, body) != signature("k", timestamp, body + b" ")
