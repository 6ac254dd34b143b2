"""Small writes through ingestion (API mutations): the same validation and storage as a
file import, all-or-nothing, answered as the report or the refusal's row errors."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from server.ingest import IngestError, IngestReport, RowError, ingest_records


def record(engine: Engine, kind: str,
           records: list[dict[str, Any]]) -> IngestReport | list[RowError]:
    """Store ``records`` of ``kind``; the report, or every row error (nothing stored)."""
    try:
        return ingest_records(kind, records, engine=engine)
    except IngestError as error:
        return list(error.errors)
