"""Which sends a report covers: a send-date range, campaign types and segments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from analytics.metrics import Granularity

# A trend longer than this is unreadable and slow to send; pick a coarser granularity.
MAX_PERIODS = 400
_DAYS_PER_PERIOD = {Granularity.DAY: 1, Granularity.WEEK: 7, Granularity.MONTH: 28,
                    Granularity.QUARTER: 90, Granularity.YEAR: 365}


class FilterError(ValueError):
    """A filter the report cannot honour; the message names the argument and the fix."""


def granularity_of(value: Granularity | str) -> Granularity:
    """``value`` as a Granularity; a FilterError naming the choices when it is none."""
    try:
        return Granularity(value)
    except ValueError:
        raise FilterError(f"granularity: {value!r} is not one of "
                          f"{', '.join(g.name for g in Granularity)}") from None


@dataclass(frozen=True)
class ReportFilters:
    """Sends made from ``start`` to ``end`` (UTC send dates, inclusive; None: open) of
    campaigns of ``campaign_types`` (empty: all) to members of any of ``segment_ids``
    (empty: everyone). Opens, clicks and orders count with their send, whenever they came.
    """

    start: date | None = None
    end: date | None = None
    granularity: Granularity = Granularity.WEEK
    campaign_types: tuple[str, ...] = ()
    segment_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "granularity", granularity_of(self.granularity))
        if self.start is not None and self.end is not None:
            if self.start > self.end:
                raise FilterError(f"from ({self.start}) is after to ({self.end}); "
                                  "swap them or widen the range")
            periods = (self.end - self.start).days // _DAYS_PER_PERIOD[self.granularity] + 1
            if periods > MAX_PERIODS:
                raise FilterError(
                    f"granularity {self.granularity.name} from {self.start} to {self.end} "
                    f"gives about {periods} periods (at most {MAX_PERIODS}); pick a "
                    "coarser granularity or a shorter range")
        object.__setattr__(self, "campaign_types",
                           tuple(sorted({t.strip() for t in self.campaign_types if t.strip()})))
        object.__setattr__(self, "segment_ids",
                           tuple(sorted({s.strip() for s in self.segment_ids if s.strip()})))

    @property
    def segment_filter(self) -> tuple[str, ...] | None:
        return self.segment_ids or None

    def day_filter(self, column: str = "day") -> pl.Expr:
        """True for rows whose send day lies in the range."""
        condition = pl.lit(True)
        if self.start is not None:
            condition = condition & (pl.col(column) >= self.start)
        if self.end is not None:
            condition = condition & (pl.col(column) <= self.end)
        return condition

    def campaign_ids(self, campaigns: pl.DataFrame) -> list[str]:
        """The campaigns (of a ``campaign_id``/``campaign_type`` frame) the types allow."""
        if not self.campaign_types:
            return campaigns["campaign_id"].to_list()
        kept = campaigns.filter(pl.col("campaign_type").is_in(list(self.campaign_types)))
        return kept["campaign_id"].to_list()
