"""The jobs commands enqueue on the in-process broker: every test starts with it empty."""

from __future__ import annotations

from tests.jobs.conftest import _clean_broker

__all__ = ["_clean_broker"]
