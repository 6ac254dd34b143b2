"""What an import reports: row errors, the validation result and the final report."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import polars as pl

# How many errors an exception message or HTTP response lists before summarising.
SHOWN_ERRORS = 20


@dataclass(frozen=True)
class RowError:
    """One problem: the row (see the row-number convention in the README), the column,
    the value as given (None when empty) and a message that says what to write instead."""

    row: int
    column: str
    value: str | None
    message: str

    def __str__(self) -> str:
        if self.value is None:
            return f"row {self.row}, column {self.column}: {self.message}"
        return f"row {self.row}, column {self.column}: value {self.value!r} — {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ValidationResult:
    """``valid``: the rows without errors, typed, with their row number in ``_row``;
    ``errors``: every problem found, in row order."""

    valid: pl.DataFrame
    errors: list[RowError]

    @property
    def ok(self) -> bool:
        return not self.errors


class IngestError(Exception):
    """The import was refused and nothing was stored; ``errors`` lists every problem."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = list(errors)
        super().__init__(describe(self.errors))


def describe(errors: list[RowError], limit: int = SHOWN_ERRORS) -> str:
    lines = [str(error) for error in errors[:limit]]
    if len(errors) > limit:
        lines.append(f"... and {len(errors) - limit} more errors")
    noun = "error" if len(errors) == 1 else "errors"
    return f"{len(errors)} {noun}, nothing was stored:\n" + "\n".join(lines)


@dataclass(frozen=True)
class IngestReport:
    """What one import did. ``unchanged`` counts rows identical to what was stored (for
    events: events already in the ledger, i.e. replays); ``rejected`` counts rows
    skipped with ``skip_invalid``."""

    kind: str
    received: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    rejects_path: str | None = None
    # The problems of rows skipped with ``skip_invalid``, in row order.
    errors: tuple[RowError, ...] = ()
    # Rows skipped because they name an erased customer (see "Privacy" in the README).
    erased: int = 0
    # Events older than the raw-event retention period, left out (README, "Privacy").
    expired: int = 0

    @property
    def duplicates(self) -> int:
        return self.unchanged

    @property
    def stored(self) -> int:
        return self.inserted + self.updated

    def as_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["errors"] = [error.as_dict() for error in self.errors]
        return values

    def summary(self) -> str:
        text = (f"{self.kind}: {self.received:,} received, {self.inserted:,} inserted, "
                f"{self.updated:,} updated, {self.unchanged:,} unchanged, "
                f"{self.rejected:,} rejected")
        if self.rejects_path:
            text += f" (rejected rows written to {self.rejects_path})"
        if self.erased:
            text += (f"; {self.erased:,} skipped: they name customers erased on request "
                     "(their tombstones refuse them)")
        if self.expired:
            text += (f"; {self.expired:,} events older than the raw-event retention "
                     "period skipped")
        return text
