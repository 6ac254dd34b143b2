"""Segment membership changes: who enters and who leaves when a segment is recomputed."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class MembershipChange:
    """Customer ids (sorted) that enter and leave a segment."""

    entered: tuple[str, ...]
    left: tuple[str, ...]


def membership_change(current: pl.Series, matched: pl.Series,
                      scope: pl.Series | None = None) -> MembershipChange:
    """The change that turns ``current`` members into ``matched`` ones.

    With ``scope`` (the customers whose data changed), ``matched`` holds only customers
    of the scope and members outside it keep their place: recomputing the scope of each
    change in turn ends where one recomputation of everyone does."""
    now = set(current.drop_nulls().to_list())
    then = set(matched.drop_nulls().to_list())
    if scope is not None:
        within = set(scope.drop_nulls().to_list())
        then &= within
        leaving = (now & within) - then
    else:
        leaving = now - then
    return MembershipChange(entered=tuple(sorted(then - now)), left=tuple(sorted(leaving)))
