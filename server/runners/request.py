"""Per-request report state: the snapshot and the targets, read once per GraphQL request
however many fields need them."""

from __future__ import annotations

import asyncio
from typing import Any

from analytics.metrics import Targets
from server.runners.snapshot import Snapshot, read_snapshot
from server.runners.targets import load_targets

_ATTRIBUTE = "_report_state"


class RequestReports:
    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self._lock = asyncio.Lock()
        self._snapshot: Snapshot | None = None
        self._targets: Targets | None = None

    async def snapshot(self) -> Snapshot:
        async with self._lock:
            if self._snapshot is None:
                self._snapshot = await asyncio.to_thread(read_snapshot, self.engine)
            return self._snapshot

    async def targets(self) -> Targets:
        async with self._lock:
            if self._targets is None:
                self._targets = await asyncio.to_thread(load_targets, self.engine)
            return self._targets


def request_reports(context: Any) -> RequestReports:
    """The report state of the request whose GraphQL context is ``context``."""
    # Kept on the context object itself, so it lives and dies with the request.
    state = getattr(context, _ATTRIBUTE, None)
    if state is None:
        state = RequestReports(context.engine)
        setattr(context, _ATTRIBUTE, state)
    return state
