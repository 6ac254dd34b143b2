"""Ingestion: one validation and storage path for files, uploads, mutations and the demo.

``validate_frame`` checks rows without a database; ``load_frame`` / ``ingest_file`` /
``ingest_records`` validate, check references and store all-or-nothing, idempotently.
"""

from server.ingest.errors import IngestError, IngestReport, RowError, ValidationResult
from server.ingest.kinds import KINDS, get_kind
from server.ingest.load import (
    ingest_file,
    ingest_records,
    load_frame,
    store_frames,
    write_rejects,
)
from server.ingest.read import FORMATS, ReadError, detect_format, read_bytes, read_table
from server.ingest.validate import validate_frame

__all__ = [
    "FORMATS", "KINDS", "IngestError", "IngestReport", "ReadError", "RowError",
    "ValidationResult", "detect_format", "get_kind", "ingest_file", "ingest_records",
    "load_frame", "read_bytes", "read_table", "store_frames", "validate_frame",
    "write_rejects",
]
