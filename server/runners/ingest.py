"""Small writes through ingestion (API mutations): the same validation and storage as a
file import, all-or-nothing, answered as the report or the refusal's row errors."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from server.ingest import IngestError, IngestReport, RowError, ingest_records
from server.ingest.kinds import get_kind


def record(engine: Engine, kind: str,
           records: list[dict[str, Any]]) -> IngestReport | list[RowError]:
    """Store ``records`` of ``kind``; the report, or every row error (nothing stored)."""
    try:
        return ingest_records(kind, records, engine=engine)
    except IngestError as error:
        return list(error.errors)


def derived_columns(kind: str) -> tuple[str, ...]:
    """The columns ingestion fills itself for ``kind`` (an import may not name them)."""
    return get_kind(kind).derived
