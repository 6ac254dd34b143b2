"""Hit rate@k and recall@k on a time split, against popularity."""

from __future__ import annotations

from datetime import timedelta

import pytest

from analytics.recommendations import evaluate
from tests.worlds.shop import PRODUCTS, SPLIT, interactions


def test_the_recommender_finds_what_popularity_misses() -> None:
    result = evaluate(interactions(), PRODUCTS, split=SPLIT, horizon_days=30, ks=(1, 2))

    # u7 buys p4 (bought with p1), u5 buys p7 (books), u9 buys p6 (viewed, books).
    assert (result.customers, result.train_interactions) == (3, 14)
    assert result.recommender.hit_rate == (1.0, 1.0)
    assert result.recommender.recall == (1.0, 1.0)
    # Popularity's top pick for u7 is p4 (p1 bought), for u5 and u9 p1.
    assert result.popularity.hit_rate == pytest.approx((1 / 3, 1 / 3))
    assert result.popularity.recall == pytest.approx((1 / 3, 1 / 3))


def test_a_test_period_without_new_purchases_is_refused() -> None:
    with pytest.raises(ValueError, match="nobody bought a new item"):
        evaluate(interactions(), PRODUCTS, split=SPLIT + timedelta(days=60))
    with pytest.raises(ValueError, match="horizon_days must be at least 1"):
        evaluate(interactions(), PRODUCTS, split=SPLIT, horizon_days=0)
    with pytest.raises(ValueError, match="ks must hold positive"):
        evaluate(interactions(), PRODUCTS, split=SPLIT, ks=())
