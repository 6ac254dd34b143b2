"""Raw-event retention: delete ledger events older than the policy, report the counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from server.db.repository import retention
from server.db.types import utcnow


class NoRetentionPolicy(ValueError):
    """No retention period was set or given."""


@dataclass(frozen=True)
class RetentionResult:
    """Events older than ``cutoff``, per type; ``deleted`` is 0 on a dry run."""

    days: int
    cutoff: datetime
    expired: dict[str, int]
    deleted: int
    dry_run: bool

    @property
    def total(self) -> int:
        return sum(self.expired.values())

    def summary(self) -> str:
        kinds = ", ".join(f"{kind} {count:,}" for kind, count in self.expired.items())
        verb = "would delete" if self.dry_run else "deleted"
        detail = f" ({kinds})" if kinds else ""
        return (f"raw events before {self.cutoff.isoformat()} ({self.days} days): {verb} "
                f"{self.total if self.dry_run else self.deleted:,}{detail}; send facts "
                "and rollups unchanged")


def cutoff_for(days: int, now: datetime | None = None) -> datetime:
    return (now or utcnow()) - timedelta(days=days)


def apply(engine: Engine, days: int | None, *, dry_run: bool = False,
          now: datetime | None = None) -> RetentionResult:
    """Delete (or, on a dry run, count) the raw events older than ``days`` in one
    transaction. Raises ``NoRetentionPolicy`` when ``days`` is None."""
    if days is None:
        raise NoRetentionPolicy("no retention period: set MAILSCOPE_RAW_EVENT_RETENTION_DAYS "
                                "(or pass --days) to the number of days raw events are kept")
    if days < 1:
        raise NoRetentionPolicy(f"a retention period of {days} days would delete every "
                                "event: give 1 or more")
    cutoff = cutoff_for(days, now)
    with engine.begin() as connection:
        expired = retention.expired_counts(connection, cutoff)
        deleted = 0 if dry_run else retention.delete_expired(connection, cutoff)
    return RetentionResult(days=days, cutoff=cutoff, expired=expired, deleted=deleted,
                           dry_run=dry_run)
