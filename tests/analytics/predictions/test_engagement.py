from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analytics.predictions import customer_features
from analytics.predictions.engagement import (
    CAMPAIGNS_SCHEMA,
    CONTENT_FEATURES,
    ENGAGEMENT_FEATURES,
    SENDS_SCHEMA,
    _stopping_slice,
    _subsample,
    campaign_features,
    category_affinity,
    engagement_pairs,
    train_engagement,
)
from analytics.predictions.features import CUSTOMERS_SCHEMA, ORDERS_SCHEMA
from analytics.predictions.preferences import PREFERENCE_FEATURES

T0 = datetime(2026, 5, 4, 9, tzinfo=UTC)  # a Monday
CAMPAIGNS = pl.DataFrame({
    "campaign_id": ["c2", "c1"],
    "subject_line": ["{{first_name}}, last chance: ends TONIGHT!", "Our spring news?"],
    "send_at": [T0 + timedelta(days=5, hours=9), T0]}, schema=CAMPAIGNS_SCHEMA)


def _abc_features(sends: pl.DataFrame) -> pl.DataFrame:
    """Customer features at T0 of customers a, b and c (signed up ten days before), from
    ``sends`` alone."""
    customers = pl.DataFrame({"customer_id": ["a", "b", "c"],
                              "signup_at": [T0 - timedelta(days=10)] * 3},
                             schema=CUSTOMERS_SCHEMA)
    return customer_features(customers, pl.DataFrame(schema=ORDERS_SCHEMA),
                             sends.select("customer_id", "sent_at",
                                          "first_human_open_at", "first_click_at"),
                             cutoff=T0)


def test_campaign_features_golden():
    frame = campaign_features(CAMPAIGNS)
    assert_frame_equal(frame, pl.DataFrame({
        "campaign_id": ["c1", "c2"], "subject_length": [16.0, 42.0],
        "subject_words": [3.0, 5.0], "subject_exclamation": [0.0, 1.0],
        "subject_question": [1.0, 0.0], "subject_personalised": [0.0, 1.0],
        "subject_urgency": [0.0, 3.0], "send_hour": [9.0, 18.0],
        "send_weekday": [1.0, 6.0], "hours_since_previous": [None, 129.0],
        **{name: pl.Series([None, None], dtype=pl.Float64) for name in CONTENT_FEATURES}}))


def test_campaign_content_features_golden():
    campaigns = CAMPAIGNS.with_columns(
        category=pl.Series(["books", "apparel"]),
        template_type=pl.Series(["product_grid", "unknown"]),
        content_length=pl.Series([420, None]), link_count=pl.Series([6, None]),
        image_count=pl.Series([4, None]), cta_count=pl.Series([2, None]))
    frame = campaign_features(campaigns).select("campaign_id", *CONTENT_FEATURES)

    assert frame.rows() == [("c1", None, None, None, None, None),
                            ("c2", 420.0, 6.0, 4.0, 2.0, 3.0)]
    # A campaigns frame without the content columns has them unknown.
    assert campaign_features(CAMPAIGNS).select(CONTENT_FEATURES).null_count().row(0) == (
        2, 2, 2, 2, 2)


AFFINITY_CAMPAIGNS = pl.DataFrame({
    "campaign_id": ["ap1", "ap2", "bk1", "bk2", "bk3"],
    "subject_line": ["s"] * 5, "send_at": [T0 - timedelta(days=d) for d in (9, 8, 7, 6, 5)],
    "category": ["apparel", "apparel", "books", "books", "books"]})


def _affinity_sends(extra=()):
    click = T0 - timedelta(days=1)
    return _sends([
        ("a", "ap1", T0 - timedelta(days=9), click, click, 0),
        ("a", "ap2", T0 - timedelta(days=8), click, click, 0),
        ("a", "bk1", T0 - timedelta(days=7), None, None, 0),
        ("a", "bk2", T0 - timedelta(days=6), None, None, 0),
        *(("b", c, T0 - timedelta(days=5), None, None, 0) for c in ("bk1", "bk2", "bk3",
                                                                    "bk3")),
        *extra])


def test_category_affinity_golden():
    """Everyone clicked 2 of 8 sends. a clicked both apparel mails and neither book, b
    none of four books; each rate is shrunk by 10 pseudo-sends (the category's towards
    the customer's, the customer's towards everyone's 0.25)."""
    affinity = category_affinity(_affinity_sends(), AFFINITY_CAMPAIGNS, cutoff=T0)
    got = {(c, k): v for c, k, v in affinity.iter_rows()}

    assert got == pytest.approx({("a", "apparel"): 73 / 54, ("a", "books"): 5 / 6,
                                 ("b", "books"): 5 / 7})
    empty = category_affinity(_affinity_sends(), AFFINITY_CAMPAIGNS,
                              cutoff=T0 - timedelta(days=30))
    assert empty.is_empty() and empty.columns == ["customer_id", "category",
                                                  "content_affinity"]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]),
                          st.sampled_from(["ap1", "bk1", "bk3"]), st.integers(0, 20),
                          st.booleans()), max_size=10))
def test_category_affinity_ignores_later_sends_and_clicks(later):
    """Point-in-time: sends at or after the cutoff, and clicks after it on earlier sends,
    change nothing."""
    extra = [(c, k, T0 + timedelta(hours=h), None,
              T0 + timedelta(hours=h + 1) if clicked else None, 0)
             for c, k, h, clicked in later]
    unclicked = ("b", "bk1", T0 - timedelta(days=2), None, None, 0)
    clicked_later = (*unclicked[:4], T0 + timedelta(hours=2), 0)
    before = category_affinity(_affinity_sends([unclicked]), AFFINITY_CAMPAIGNS, cutoff=T0)
    after = category_affinity(_affinity_sends([clicked_later, *extra]), AFFINITY_CAMPAIGNS,
                              cutoff=T0)
    keys = ["customer_id", "category"]
    assert_frame_equal(after.sort(keys), before.sort(keys))


def _sends(rows):
    return pl.DataFrame(rows, schema=SENDS_SCHEMA, orient="row")


def test_pairs_leave_machine_only_opens_out_and_label_people():
    sends = _sends([
        ("a", "c1", T0, T0 + timedelta(hours=1), None, 0),        # person opened
        ("b", "c1", T0, None, None, 2),                           # only a proxy opened
        ("c", "c1", T0, T0 + timedelta(hours=2), T0 + timedelta(hours=3), 1),  # both
        ("a", "c2", T0 + timedelta(days=5), None, None, 0),       # nothing
        ("a", "c9", T0 + timedelta(days=40), None, None, 0),      # after the window
    ])
    features = _abc_features(sends)
    pairs = engagement_pairs(sends, CAMPAIGNS, features, start=T0,
                             end=T0 + timedelta(days=30))

    assert pairs.select("customer_id", "campaign_id", "open", "click").sort(
        "customer_id", "campaign_id").rows() == [
        ("a", "c1", True, False), ("a", "c2", False, False), ("c", "c1", True, True)]
    assert pairs.columns == ["customer_id", "campaign_id", "sent_at", *ENGAGEMENT_FEATURES,
                             *PREFERENCE_FEATURES, "open", "click"]
    # Without spend, no pair has a category spend share.
    assert pairs["category_spend_share"].null_count() == pairs.height


def test_spend_share_is_the_customers_share_in_the_campaigns_category():
    campaigns = CAMPAIGNS.with_columns(category=pl.when(pl.col("campaign_id") == "c1")
                                       .then(pl.lit("shoes")))
    sends = _sends([("a", "c1", T0, None, None, 0), ("a", "c2", T0 + timedelta(days=5),
                                                     None, None, 0),
                    ("b", "c1", T0, None, None, 0), ("c", "c1", T0, None, None, 0)])
    features = _abc_features(sends)
    # a spent 30 on shoes and 10 on hats, b only on hats, c nothing.
    spend = pl.DataFrame({"customer_id": ["a", "a", "b"], "category": ["hats", "shoes", "hats"],
                          "spend": [10.0, 30.0, 5.0]})
    pairs = engagement_pairs(sends, campaigns, features, start=T0,
                             end=T0 + timedelta(days=30), spend=spend)
    # c2 has no category (c1's is shoes): no share for it.
    assert pairs.select("customer_id", "campaign_id", "category_spend_share").sort(
        "customer_id", "campaign_id").rows() == [
        ("a", "c1", 0.75), ("a", "c2", None), ("b", "c1", 0.0), ("c", "c1", None)]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(-40, 80), st.integers(0, 3), st.booleans()),
                max_size=30))
def test_pairs_hold_only_the_windows_sends(rows):
    sends = _sends([(f"u{i % 3}", "c1", T0 + timedelta(days=d), None, None, m)
                    for i, (d, m, _) in enumerate(rows)])
    customers = pl.DataFrame({"customer_id": ["u0", "u1", "u2"],
                              "signup_at": [T0 - timedelta(days=90)] * 3},
                             schema=CUSTOMERS_SCHEMA)
    features = customer_features(customers, pl.DataFrame(schema=ORDERS_SCHEMA),
                                 pl.DataFrame(schema={c: SENDS_SCHEMA[c] for c in (
                                     "customer_id", "sent_at", "first_human_open_at",
                                     "first_click_at")}), cutoff=T0)
    pairs = engagement_pairs(sends, CAMPAIGNS, features, start=T0,
                             end=T0 + timedelta(days=30))
    inside = sum(1 for d, m, _ in rows if 0 <= d < 30 and m == 0)
    assert pairs.height == inside
    assert not pairs["open"].any()


@cache
def demo_pairs():
    from server.demo.generate import generate

    frames = generate(customers=1500, days=120, seed=3).frames
    events = frames["events"]
    first = (events.filter((pl.col("type") == "open") & ~pl.col("machine_open"))
             .group_by("message_id").agg(first_human_open_at=pl.col("occurred_at").min()))
    machine = (events.filter((pl.col("type") == "open") & pl.col("machine_open"))
               .group_by("message_id").agg(machine_open_count=pl.len().cast(pl.Int64)))
    clicks = (events.filter(pl.col("type") == "click")
              .group_by("message_id").agg(first_click_at=pl.col("occurred_at").min()))
    sends = (frames["messages"].join(first, on="message_id", how="left")
             .join(clicks, on="message_id", how="left")
             .join(machine, on="message_id", how="left")
             .with_columns(pl.col("machine_open_count").fill_null(0)).select(list(SENDS_SCHEMA)))
    campaigns = frames["campaigns"].select(list(CAMPAIGNS_SCHEMA))
    orders = frames["orders"].select("customer_id", "occurred_at",
                                     pl.col("amount").cast(pl.Float64))
    customers = frames["customers"].select("customer_id", "signup_at")
    history = sends.select("customer_id", "sent_at", "first_human_open_at", "first_click_at")
    end, h = sends["sent_at"].max(), timedelta(days=30)

    def pairs(start):
        features = customer_features(customers, orders, history, cutoff=start)
        return engagement_pairs(sends, campaigns, features, start=start, end=start + h)

    return pairs(end - 2 * h), pairs(end - h)


@pytest.mark.parametrize("target", ["open", "click"])
def test_training_reports_both_models_and_is_deterministic(target):
    train, holdout = demo_pairs()
    first = train_engagement(train, holdout, target=target)
    second = train_engagement(train, holdout, target=target)

    assert first.artifact == second.artifact
    assert (first.train_rows, first.holdout_rows) == (train.height, holdout.height)
    assert first.model_metrics.count == first.baseline_metrics.count == holdout.height
    assert first.model_metrics.auc > 0.6 and first.baseline_metrics.auc > 0.6
    assert sum(share for _, share in first.importance) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="target 'reply' is unknown; choose open or click"):
        train_engagement(train, holdout, target="reply")


def test_boosting_stops_on_the_latest_sends():
    days = [(7 * d) % 60 for d in range(60)]  # 60 send-outs, shuffled
    stop = _stopping_slice(pl.Series([T0 + timedelta(days=d) for d in days]))
    assert sorted(d for d, s in zip(days, stop.tolist(), strict=True) if s) == list(range(48, 60))
    # The latest fifth of a window of ten send-outs is two campaigns: a seeded random
    # fifth instead, as when everything went out at one moment (never every row).
    few = pl.Series([T0 + timedelta(days=d) for d in (3, 0, 9, 1, 2, 8, 4, 5, 6, 7)] * 5)
    assert 0 < _stopping_slice(few).sum() < 50
    assert _stopping_slice(few).tolist() == _stopping_slice(few).tolist()
    same = _stopping_slice(pl.Series([T0] * 50))
    assert 0 < same.sum() < 50
    assert same.tolist() == _stopping_slice(pl.Series([T0] * 50)).tolist()


def test_negatives_are_subsampled_with_weights_that_restore_their_total():
    y = np.array([1.0] * 10_000 + [0.0] * 90_000)
    fit = np.ones(y.size, dtype=bool)
    fit[:10] = False
    keep, weight = _subsample(y, fit)

    assert keep[10:10_000].all() and not keep[:10].any()  # every fitting positive is kept
    assert 0.28 < keep[10_000:].mean() < 0.32
    assert set(weight[y[keep] == 1].tolist()) == {1.0}
    assert weight[y[keep] == 0].sum() == pytest.approx(90_000, rel=0.02)
    # A small window keeps every fitting row, unweighted: subsampling would only add noise.
    small = np.array([1.0] * 100 + [0.0] * 900)
    keep, weight = _subsample(small, fit[:1000])
    assert keep.tolist() == fit[:1000].tolist() and set(weight.tolist()) == {1.0}


@pytest.mark.parametrize("target", ["open", "click"])
def test_the_weighted_model_stays_calibrated(target):
    """Fitting on 30 % of the negatives, weighted back: the mean prediction on the holdout
    stays near its rate (ECE small), not inflated by the positives' larger share."""
    train, holdout = demo_pairs()
    trained = train_engagement(train, holdout, target=target)
    metrics = trained.model_metrics
    mean_predicted = sum(b.mean_predicted * b.count for b in metrics.calibration) / (
        metrics.count)
    assert abs(mean_predicted - metrics.positive_rate) < 0.05
    assert metrics.ece < 0.05
