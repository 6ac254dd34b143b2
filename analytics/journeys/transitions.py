"""The predicted next action: a first-order chain over the customer's own actions.

Each consecutive pair of the timeline's actions (oldest first, ties by action name) is
one observed transition. The prediction is the action that most often followed the
customer's latest action (ties: the one seen most recently after it), with its share of
those transitions as the probability. A latest action that was never followed predicts
nothing, and says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class NextAction:
    """The predicted action (None when nothing was ever observed after the latest one),
    its probability and the evidence: how often the latest action was followed."""

    after: str | None
    action: str | None
    probability: float | None
    observed: int


def transitions(timeline: pl.DataFrame) -> pl.DataFrame:
    """Counts of observed transitions: columns ``from``, ``to``, ``count``, ``last``
    (the position of the latest occurrence), sorted by from, count desc, to."""
    actions = timeline.sort("at", "action")["action"]
    pairs = pl.DataFrame({"from": actions[:-1], "to": actions[1:],
                          "position": pl.int_range(0, max(actions.len() - 1, 0),
                                                   eager=True)},
                         schema={"from": pl.String, "to": pl.String, "position": pl.Int64})
    return (pairs.group_by("from", "to")
            .agg(pl.len().cast(pl.Int64).alias("count"), pl.col("position").max().alias("last"))
            .sort(["from", "count", "to"], descending=[False, True, False]))


def predict_next(timeline: pl.DataFrame) -> NextAction:
    """The most likely next action after the customer's latest action."""
    if timeline.is_empty():
        return NextAction(after=None, action=None, probability=None, observed=0)
    latest = timeline.sort("at", "action")["action"][-1]
    options = transitions(timeline).filter(pl.col("from") == latest)
    observed = int(options["count"].sum()) if not options.is_empty() else 0
    if observed == 0:
        return NextAction(after=latest, action=None, probability=None, observed=0)
    best = options.sort(["count", "last"], descending=[True, True]).row(0, named=True)
    return NextAction(after=latest, action=best["to"],
                      probability=best["count"] / observed, observed=observed)
