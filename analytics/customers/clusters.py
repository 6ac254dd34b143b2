"""Behavioural clusters: k-means on standardised engagement features, named from their
centres.

Features (``FEATURES``): the engagement score, the 90-day open and click rates, orders,
lifetime revenue, days since the last order and web sessions. Missing rates count as 0;
a customer who never ordered counts as one day beyond the longest gap seen. Orders,
revenue and sessions are taken as ``log(1 + x)`` (a few big spenders would otherwise
make every other customer look alike), then every feature is standardised (z-scores).

k-means uses seeded k-means++ starts (the best of ``N_INIT`` by inertia) and Lloyd
iterations; when ``k`` is not given, the k in 2-6 with the best silhouette score wins
(the silhouette is measured on a seeded sample of at most ``SILHOUETTE_SAMPLE``).

Names come from each centre's z-scores, the first rule that holds:

1. ``Engaged buyers``: engagement >= 0.5 and revenue >= 0.5;
2. ``Quiet buyers``: revenue >= 0.5 (buying without much email engagement);
3. ``Engaged readers``: engagement, open rate or click rate >= 0.5;
4. ``Web browsers``: sessions >= 0.5;
5. ``Lapsing``: days since the last order >= 0.5;
6. ``Low activity``: everything else.

A name taken by a larger cluster gets " 2", " 3", ... so every cluster's name is unique.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

FEATURES: tuple[str, ...] = ("engagement_score", "open_rate_90d", "click_rate_90d",
                             "purchases", "lifetime_revenue", "days_since_last_purchase",
                             "sessions")
_LOGGED = ("purchases", "lifetime_revenue", "sessions")
K_RANGE = range(2, 7)
N_INIT = 4
MAX_ITER = 100
SILHOUETTE_SAMPLE = 2000

Matrix = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Clusters:
    """``assignments``: customer_id, cluster; ``centres``: cluster, name, size and each
    feature's mean among the members (in its own units); ``z_centres`` the same in
    z-scores. ``chosen_by`` is ``given`` or ``silhouette``."""

    k: int
    silhouette: float | None
    chosen_by: str
    assignments: pl.DataFrame
    centres: pl.DataFrame
    z_centres: pl.DataFrame


def feature_matrix(profiles: pl.DataFrame) -> tuple[Matrix, Matrix]:
    """(raw features with the documented fills, standardised features)."""
    longest = profiles["days_since_last_purchase"].max()
    never = (float(longest) + 1.0) if isinstance(longest, int | float) else 0.0
    filled = profiles.select(
        pl.col("engagement_score").fill_null(0.0),
        pl.col("open_rate_90d").fill_null(0.0),
        pl.col("click_rate_90d").fill_null(0.0),
        pl.col("purchases").cast(pl.Float64).fill_null(0.0),
        pl.col("lifetime_revenue").fill_null(0.0),
        pl.col("days_since_last_purchase").fill_null(never),
        pl.col("sessions").cast(pl.Float64).fill_null(0.0),
    )
    raw = filled.to_numpy().astype(np.float64)
    shaped = raw.copy()
    for name in _LOGGED:
        index = FEATURES.index(name)
        shaped[:, index] = np.log1p(np.clip(shaped[:, index], 0.0, None))
    mean = shaped.mean(axis=0)
    std = shaped.std(axis=0)
    std[std == 0] = 1.0
    return raw, (shaped - mean) / std


def _squared_distances(points: Matrix, centres: Matrix) -> Matrix:
    # |p|^2 - 2 p.c + |c|^2 in one matrix product: no points × centres × features array.
    result = ((points ** 2).sum(axis=1)[:, None] - 2.0 * points @ centres.T
              + (centres ** 2).sum(axis=1)[None, :])
    return np.asarray(np.clip(result, 0.0, None), dtype=np.float64)


def _plus_plus(points: Matrix, k: int, rng: np.random.Generator) -> Matrix:
    centres = [points[rng.integers(len(points))]]
    for _ in range(1, k):
        nearest = _squared_distances(points, np.array(centres)).min(axis=1)
        total = nearest.sum()
        if total == 0:  # fewer distinct points than k: repeat one
            centres.append(points[rng.integers(len(points))])
            continue
        centres.append(points[rng.choice(len(points), p=nearest / total)])
    return np.array(centres)


def kmeans(points: Matrix, k: int, seed: int = 0) -> tuple[npt.NDArray[np.int64], Matrix, float]:
    """(labels, centres, inertia): the best of ``N_INIT`` seeded k-means++ runs."""
    rng = np.random.default_rng(seed)
    best: tuple[npt.NDArray[np.int64], Matrix, float] | None = None
    for _ in range(N_INIT):
        centres = _plus_plus(points, k, rng)
        labels = np.zeros(len(points), dtype=np.int64)
        for iteration in range(MAX_ITER):
            new_labels = _squared_distances(points, centres).argmin(axis=1).astype(np.int64)
            if iteration and np.array_equal(new_labels, labels):
                break
            labels = new_labels
            for cluster in range(k):
                members = points[labels == cluster]
                if len(members):
                    centres[cluster] = members.mean(axis=0)
        inertia = float(_squared_distances(points, centres)[np.arange(len(points)),
                                                            labels].sum())
        if best is None or inertia < best[2]:
            best = (labels, centres, inertia)
    assert best is not None
    return best


def silhouette(points: Matrix, labels: npt.NDArray[np.int64], seed: int = 0) -> float | None:
    """The mean silhouette (on a seeded sample of at most ``SILHOUETTE_SAMPLE`` points);
    None with fewer than two clusters."""
    if len(np.unique(labels)) < 2:
        return None
    if len(points) > SILHOUETTE_SAMPLE:
        chosen = np.random.default_rng(seed).choice(len(points), SILHOUETTE_SAMPLE,
                                                    replace=False)
        points, labels = points[chosen], labels[chosen]
    distances = np.sqrt(_squared_distances(points, points))
    scores = np.zeros(len(points))
    clusters = np.unique(labels)
    for index in range(len(points)):
        own = labels == labels[index]
        if own.sum() <= 1:
            continue  # a lone point scores 0 by convention
        a = distances[index, own].sum() / (own.sum() - 1)
        b = min(distances[index, labels == other].mean()
                for other in clusters if other != labels[index])
        scores[index] = (b - a) / max(a, b) if max(a, b) > 0 else 0.0
    return float(scores.mean())


def _name(z: dict[str, float]) -> str:
    if z["engagement_score"] >= 0.5 and z["lifetime_revenue"] >= 0.5:
        return "Engaged buyers"
    if z["lifetime_revenue"] >= 0.5:
        return "Quiet buyers"
    if max(z["engagement_score"], z["open_rate_90d"], z["click_rate_90d"]) >= 0.5:
        return "Engaged readers"
    if z["sessions"] >= 0.5:
        return "Web browsers"
    if z["days_since_last_purchase"] >= 0.5:
        return "Lapsing"
    return "Low activity"


def name_clusters(z_centres: Matrix, sizes: list[int]) -> list[str]:
    """One unique name per centre (rows of z-scores in ``FEATURES`` order)."""
    names = [_name(dict(zip(FEATURES, map(float, row), strict=True))) for row in z_centres]
    taken: dict[str, int] = {}
    result = [""] * len(names)
    for index in sorted(range(len(names)), key=lambda i: (-sizes[i], i)):
        taken[names[index]] = taken.get(names[index], 0) + 1
        count = taken[names[index]]
        result[index] = names[index] if count == 1 else f"{names[index]} {count}"
    return result


def cluster_customers(profiles: pl.DataFrame, k: int | None = None,
                      seed: int = 0) -> Clusters:
    """Cluster ``profiles`` (``customer_id`` and ``FEATURES``) into ``k`` groups, or the
    k in 2-6 with the best silhouette. Raises ``ValueError`` for a k the data cannot
    support."""
    if k is not None and not 1 <= k <= max(1, profiles.height):
        raise ValueError(f"k must be between 1 and the number of customers "
                         f"({profiles.height}); got {k}")
    if profiles.height < 2:
        raise ValueError("clustering needs at least 2 customers with a profile")
    raw, z = feature_matrix(profiles)
    if k is not None:
        labels, centres, _ = kmeans(z, k, seed)
        score, chosen_by = silhouette(z, labels, seed), "given"
    else:
        best: tuple[float, npt.NDArray[np.int64], Matrix, int] | None = None
        for candidate in K_RANGE:
            if candidate >= profiles.height:
                break
            labels, centres, _ = kmeans(z, candidate, seed)
            value = silhouette(z, labels, seed)
            if value is not None and (best is None or value > best[0]):
                best = (value, labels, centres, candidate)
        if best is None:
            labels, centres, _ = kmeans(z, 1, seed)
            score, k = None, 1
        else:
            score, labels, centres, k = best
        chosen_by = "silhouette"
    sizes = [int((labels == cluster).sum()) for cluster in range(k)]
    names = name_clusters(centres, sizes)
    means = [raw[labels == cluster].mean(axis=0) if sizes[cluster] else
             np.full(len(FEATURES), np.nan) for cluster in range(k)]
    base = {"cluster": list(range(k)), "name": names, "size": sizes}
    return Clusters(
        k=k, silhouette=score, chosen_by=chosen_by,
        assignments=pl.DataFrame({"customer_id": profiles["customer_id"],
                                  "cluster": labels.astype(np.int64)}),
        centres=pl.DataFrame({**base, **{name: [float(m[i]) for m in means]
                                         for i, name in enumerate(FEATURES)}}),
        z_centres=pl.DataFrame({**base, **{name: [float(c[i]) for c in centres]
                                           for i, name in enumerate(FEATURES)}}))
