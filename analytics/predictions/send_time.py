"""Send time: each customer's best local send hour and weekday from their people's
opens and clicks, shrunk towards their segment's when their history is thin.

What a send hour does is change who opens, so the evidence is the open rate by the
hour a send went out, in the customer's local time zone (UTC when the zone is unknown
or invalid): a send counts as engaged when a person opened or clicked it; a send whose
only opens came from a mail-privacy proxy says nothing about the person and is left out.
Per customer and hour the rate is shrunk by a Beta prior (empirical Bayes):

    rate(i, h) = (engaged(i, h) + k * prior(i, h)) / (sends(i, h) + k)
    prior(i, h) = level(i) * segment_rate(h) / segment_rate

where ``level(i)`` is the customer's own engaged share (shrunk the same way towards the
segment's), so a customer with two sends follows the segment's hour profile at their
own level and one with forty mostly follows themselves. ``k`` (pseudo-sends) is the
value on a log grid maximising the beta-binomial marginal likelihood of every (customer,
hour) cell; the segment's hour rates are shrunk towards the global ones the same way.
Rates are smoothed over neighbouring hours before the argmax (a preferred reading time
reaches the hours next to it), and only hours the segment was sent at are candidates
(any hour something was sent at, for a segment without sends): an hour nobody alike
was tried at has no evidence of its own. The segment is whatever the caller groups customers by
(country, engagement level).

``source`` says where each score came from: ``customer`` (at least one engaged send of
their own), ``segment`` (none; their segment has at least ``min_segment_events`` engaged
sends) or ``global``; ``own_weight`` is the share of the customer's own sends in their
estimate, ``sends / (sends + k)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import polars as pl
from scipy.special import gammaln

from analytics.predictions.features import UTC

HOURS, WEEKDAYS = 24, 7
SOURCES = ("customer", "segment", "global")
# Prior strengths tried by the empirical-Bayes fit, in pseudo-sends.
STRENGTH_GRID = np.geomspace(0.25, 10_000.0, 70)
# Weights of an hour and its two neighbours in the smoothed rates.
HOUR_KERNEL = (0.25, 0.5, 0.25)
MIN_SEGMENT_EVENTS = 30
SENDS_SCHEMA: dict[str, pl.DataType] = {
    "customer_id": pl.String(), "sent_at": UTC, "first_human_open_at": UTC,
    "first_click_at": UTC, "machine_open_count": pl.Int64()}
AUDIENCE_SCHEMA: dict[str, pl.DataType] = {
    "customer_id": pl.String(), "timezone": pl.String(), "segment": pl.String()}
SCORES_SCHEMA: dict[str, pl.DataType] = {
    "customer_id": pl.String(), "best_send_hour": pl.Int64(),
    "best_send_weekday": pl.Int64(), "source": pl.String(), "sends": pl.Int64(),
    "engaged_sends": pl.Int64(), "own_weight": pl.Float64(), "timezone": pl.String()}


@dataclass(frozen=True)
class SendTimes:
    """Scores (``SCORES_SCHEMA``: local hour 0–23, ISO weekday 1 = Monday) and the fit:
    the empirical-Bayes strengths and the global best local hour and weekday."""

    scores: pl.DataFrame
    hour_strength: float
    weekday_strength: float
    global_hour: int
    global_weekday: int


def known_zone(name: str | None) -> str:
    """``name`` when it is an IANA time zone, else ``"UTC"``."""
    if not name:
        return "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return name


def _zones(names: pl.Series) -> pl.Series:
    """``known_zone`` of each name, checked once per distinct name."""
    text = names.fill_null("")
    mapping = {name: known_zone(name) for name in text.unique().to_list()}
    return text.replace_strict(mapping, return_dtype=pl.String).alias("timezone")


def local_sends(sends: pl.DataFrame, audience: pl.DataFrame) -> pl.DataFrame:
    """``customer_id``, local send ``hour`` (0–23) and ``weekday`` (1–7) and ``engaged``
    (a person opened or clicked) of each send to a customer of ``audience``; sends with
    only proxy opens are left out."""
    human = pl.col("first_human_open_at").is_not_null() | pl.col("first_click_at").is_not_null()
    zones = audience.select("customer_id", _zones(audience["timezone"]))
    kept = (sends.filter(human | (pl.col("machine_open_count").fill_null(0) == 0))
            .select("customer_id", "sent_at", engaged=human)
            .join(zones, on="customer_id"))
    parts = [pl.DataFrame(schema={"customer_id": pl.String(), "hour": pl.Int64(),
                                  "weekday": pl.Int64(), "engaged": pl.Boolean()})]
    for (zone,), group in kept.partition_by("timezone", as_dict=True).items():
        local = pl.col("sent_at").dt.convert_time_zone(str(zone))
        parts.append(group.select("customer_id", hour=local.dt.hour().cast(pl.Int64),
                                  weekday=local.dt.weekday().cast(pl.Int64),
                                  engaged="engaged"))
    return pl.concat(parts)


def beta_strength(engaged: np.ndarray, sends: np.ndarray, prior: np.ndarray) -> float:
    """The strength on ``STRENGTH_GRID`` maximising the beta-binomial marginal
    log-likelihood of ``engaged`` out of ``sends`` per cell with prior rates ``prior``
    (arrays of one shape). Cells without sends carry no information and are skipped."""
    cells = sends > 0
    if not cells.any():
        return float(STRENGTH_GRID[len(STRENGTH_GRID) // 2])
    k, n = engaged[cells], sends[cells]
    mean = np.clip(prior[cells], 1e-6, 1 - 1e-6)
    best, best_ll = float(STRENGTH_GRID[0]), -np.inf
    for strength in STRENGTH_GRID:
        a, b = strength * mean, strength * (1 - mean)
        ll = float(np.sum(gammaln(k + a) + gammaln(n - k + b) - gammaln(n + strength)
                          - gammaln(a) - gammaln(b) + gammaln(strength)))
        if ll > best_ll:
            best, best_ll = float(strength), ll
    return best


def _cells(row: np.ndarray, value: np.ndarray, weight: np.ndarray, rows: int,
           bins: int) -> np.ndarray:
    flat = np.bincount(row * bins + value, weights=weight, minlength=rows * bins)
    return flat.reshape(rows, bins)


def _smooth(rates: np.ndarray) -> np.ndarray:
    left, centre, right = HOUR_KERNEL
    return (left * np.roll(rates, 1, axis=1) + centre * rates
            + right * np.roll(rates, -1, axis=1))


@dataclass(frozen=True)
class _Fit:
    best: np.ndarray
    own_weight: np.ndarray
    strength: float
    global_best: int


def _fit(engaged: np.ndarray, sends: np.ndarray, segment: np.ndarray, segments: int,
         circular: bool) -> _Fit:
    bins = sends.shape[1]
    overall = (engaged.sum() + 1.0) / (sends.sum() + 2.0)  # add-one: defined without data
    global_rate = (engaged.sum(axis=0) + overall) / (sends.sum(axis=0) + 1.0)
    seg_engaged = np.zeros((segments, bins))
    seg_sends = np.zeros((segments, bins))
    np.add.at(seg_engaged, segment, engaged)
    np.add.at(seg_sends, segment, sends)
    seg_prior = np.tile(global_rate, (segments, 1))
    seg_strength = beta_strength(seg_engaged, seg_sends, seg_prior)
    seg_rate = (seg_engaged + seg_strength * seg_prior) / (seg_sends + seg_strength)
    seg_level = (seg_engaged.sum(axis=1) + overall) / (seg_sends.sum(axis=1) + 1.0)
    # The customer's level: their engaged share shrunk towards the segment's.
    own_n, own_k = sends.sum(axis=1), engaged.sum(axis=1)
    level = (own_k + seg_level[segment]) / (own_n + 1.0)
    prior = np.clip(level[:, None] * seg_rate[segment] / seg_level[segment][:, None],
                    1e-6, 1 - 1e-6)
    strength = beta_strength(engaged, sends, prior)
    rates = (engaged + strength * prior) / (sends + strength)

    # Only hours some send of the segment went out at (of anyone, for a segment without
    # sends) are candidates: an hour nobody alike was tried at has no evidence of its own.
    tried = sends.sum(axis=0) > 0
    if not tried.any():
        tried = np.ones(bins, dtype=bool)
    candidates = seg_sends > 0
    candidates[~candidates.any(axis=1)] = tried

    def pick(values: np.ndarray, allowed: np.ndarray) -> np.ndarray:
        scores = _smooth(values) if circular else values
        return np.asarray(np.argmax(np.where(allowed, scores, -np.inf), axis=1))

    return _Fit(best=pick(rates, candidates[segment]), own_weight=own_n / (own_n + strength),
                strength=strength, global_best=int(pick(global_rate[None, :],
                                                        tried[None, :])[0]))


def send_times(sends: pl.DataFrame, audience: pl.DataFrame, *,
               min_segment_events: int = MIN_SEGMENT_EVENTS) -> SendTimes:
    """Best local send hour and weekday for every customer of ``audience``
    (``AUDIENCE_SCHEMA``; a null segment is a segment of its own, an unknown zone is
    UTC) from ``sends`` (``SENDS_SCHEMA``), sorted by ``customer_id``."""
    if min_segment_events < 0:
        raise ValueError(f"min_segment_events must be >= 0, got {min_segment_events}")
    people = (audience.select("customer_id", "timezone", pl.col("segment").fill_null(""))
              .unique("customer_id", keep="first").sort("customer_id")
              .pipe(lambda frame: frame.with_columns(_zones(frame["timezone"]))))
    position = people.select("customer_id", row=pl.int_range(pl.len(), dtype=pl.Int64))
    local = local_sends(sends, people).join(position, on="customer_id")
    segment = (people.select(pl.col("segment").rank("dense") - 1).to_series()
               .to_numpy().astype(np.int64))
    segments = int(segment.max()) + 1 if people.height else 1
    row = local["row"].to_numpy()
    engaged = local["engaged"].cast(pl.Float64).to_numpy()
    ones = np.ones(local.height)
    hour, day = local["hour"].to_numpy(), local["weekday"].to_numpy() - 1
    hours = _fit(_cells(row, hour, engaged, people.height, HOURS),
                 _cells(row, hour, ones, people.height, HOURS), segment, segments, True)
    days = _fit(_cells(row, day, engaged, people.height, WEEKDAYS),
                _cells(row, day, ones, people.height, WEEKDAYS), segment, segments, False)
    own_sends = np.bincount(row, minlength=people.height)
    own_engaged = np.bincount(row, weights=engaged, minlength=people.height)
    seg_engaged = np.bincount(segment, weights=own_engaged, minlength=segments)
    usable = seg_engaged[segment] >= max(min_segment_events, 1)
    source = np.where(own_engaged > 0, "customer", np.where(usable, "segment", "global"))
    glob = source == "global"
    scores = pl.DataFrame({
        "customer_id": people["customer_id"],
        "best_send_hour": np.where(glob, hours.global_best, hours.best).astype(np.int64),
        "best_send_weekday": np.where(glob, days.global_best, days.best).astype(np.int64) + 1,
        "source": source, "sends": own_sends.astype(np.int64),
        "engaged_sends": own_engaged.astype(np.int64), "own_weight": hours.own_weight,
        "timezone": people["timezone"]}, schema=SCORES_SCHEMA)
    return SendTimes(scores=scores, hour_strength=hours.strength,
                     weekday_strength=days.strength, global_hour=hours.global_best,
                     global_weekday=days.global_best + 1)
