"""What a write through ingestion answers."""

from __future__ import annotations

import strawberry


@strawberry.type(description="Rows accepted by recordEvents or recordOrders.")
class IngestSummary:
    received: int
    stored: int
