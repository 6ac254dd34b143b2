"""What every runner shares: results cached by the data they came from.

A key always holds the database (its URL without the password) and a version of the
data the result was computed from (a snapshot version, rollup fingerprints or the
import generations), so a stale entry is never looked up again, only evicted.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar, cast

from sqlalchemy import Engine

T = TypeVar("T")

MAX_ENTRIES = 256


def database_key(engine: Engine) -> str:
    """The database behind ``engine``, as cache keys name it (never with the password)."""
    return engine.url.render_as_string(hide_password=True)


class Memo:
    """A small process-wide LRU of results that are slow to compute."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries
        self.misses = 0

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value stored under ``key``, computing and storing it on a miss."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return cast(T, self._entries[key])
        value = compute()
        with self._lock:
            self.misses += 1
            self._entries[key] = value
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return value

    def of(self, engine: Engine, key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
        """``get`` under ``key`` for the database behind ``engine``; ``key`` must hold the
        version of the data ``compute`` reads."""
        return self.get((key[0], database_key(engine), *key[1:]), compute)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


MEMO = Memo()
