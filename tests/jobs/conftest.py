"""Every jobs test starts with an empty in-process broker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jobs.broker import ENQUEUED, broker


@pytest.fixture(autouse=True)
def _clean_broker() -> Iterator[None]:
    # Job ids restart at 1 in every test database; forget the previous test's.
    broker.flush_all()
    ENQUEUED.clear()
    yield
    broker.flush_all()
    ENQUEUED.clear()
