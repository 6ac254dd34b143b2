"""Subject lines: features of alternatives, the fallback score, Thompson allocation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.predictions.engagement import CAMPAIGN_FEATURES
from analytics.predictions.subject_lines import (
    fallback_open_rates,
    subject_features,
    thompson_allocation,
)

SUBJECTS = ["Hi {{first_name}}, is this for you?", "LAST CHANCE!!! Sale ends today!!!",
            "Our spring collection is here",
            "A very long subject line that keeps going well past what a phone shows"]


def test_subject_features_golden():
    frame = subject_features(SUBJECTS, send_hour=9, send_weekday=2, hours_since_previous=72.0)

    assert frame.columns == ["subject", *CAMPAIGN_FEATURES]
    assert frame["subject"].to_list() == SUBJECTS
    assert frame.select("subject_length", "subject_exclamation", "subject_question",
                        "subject_personalised", "subject_urgency").rows() == [
        (35.0, 0.0, 1.0, 1.0, 0.0), (33.0, 6.0, 0.0, 0.0, 3.0), (29.0, 0.0, 0.0, 0.0, 0.0),
        (70.0, 0.0, 0.0, 0.0, 0.0)]
    assert set(frame["send_hour"]) == {9.0} and set(frame["hours_since_previous"]) == {72.0}
    with pytest.raises(ValueError, match="subjects is empty"):
        subject_features([], send_hour=9, send_weekday=2, hours_since_previous=None)


def test_fallback_open_rates_golden():
    frame = subject_features(SUBJECTS, send_hour=9, send_weekday=2, hours_since_previous=None)

    rates = fallback_open_rates(frame, 0.2)

    # +0.15 +0.05; +0.12 -0.12; 0; -0.10 on the logit of 0.2.
    assert rates.round(6).tolist() == [0.233922, 0.2, 0.2, 0.184479]
    with pytest.raises(ValueError, match=r"base_rate must be in \(0, 1\), got 1.0"):
        fallback_open_rates(frame, 1.0)


def test_thompson_allocation_golden():
    result = thompson_allocation(["A", "B", "C"], [1000, 1000, 50], [210, 180, 12])

    assert [(a.variant, round(a.posterior_mean, 6), round(a.share, 5)) for a in result] == [
        ("A", 0.210579, 0.2626), ("B", 0.180639, 0.00935), ("C", 0.25, 0.72805)]
    assert result[2].lower < result[0].lower < result[0].upper < result[2].upper
    with pytest.raises(ValueError, match="opens must be between 0 and sends"):
        thompson_allocation(["A"], [10], [11])
    with pytest.raises(ValueError, match="variants is empty"):
        thompson_allocation([], [], [])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 500), st.integers(0, 500)), min_size=1,
                max_size=5), st.integers(0, 1000))
def test_allocation_shares_sum_to_one_and_follow_the_evidence(counts, seed):
    sends = [max(a, b) for a, b in counts]
    opens = [min(a, b) for a, b in counts]
    names = [f"v{i}" for i in range(len(counts))]

    result = thompson_allocation(names, sends, opens, draws=2_000, seed=seed)

    assert sum(a.share for a in result) == pytest.approx(1.0)
    assert all(0.0 <= a.lower <= a.posterior_mean <= a.upper <= 1.0
               for a in result)
    assert result == thompson_allocation(names, sends, opens, draws=2_000, seed=seed)


def test_open_model_rates_score_each_subject_for_the_recipients():
    import json

    from analytics.predictions.engagement import train_engagement
    from analytics.predictions.features import FEATURES
    from analytics.predictions.subject_lines import open_model_rates
    from tests.analytics.predictions.test_engagement import demo_pairs

    train, holdout = demo_pairs()
    artifact = train_engagement(train, holdout, target="open", max_rounds=40).artifact
    body = json.loads(artifact)
    body["served"] = "lightgbm"
    recipients = holdout.select("customer_id", *FEATURES).unique("customer_id").sort(
        "customer_id").head(200)
    table = subject_features(SUBJECTS, send_hour=9, send_weekday=2, hours_since_previous=72.0)

    rates = open_model_rates(json.dumps(body).encode(), recipients, table)
    baseline = open_model_rates(json.dumps({**body, "served": "baseline"}).encode(),
                                recipients, table)

    assert rates is not None and rates.shape == (4,)
    assert ((rates > 0) & (rates < 1)).all()
    assert (rates == open_model_rates(json.dumps(body).encode(), recipients, table)).all()
    assert baseline is None
    with pytest.raises(ValueError, match="the artifact is a churn model; pass an open model"):
        open_model_rates(json.dumps({**body, "kind": "churn"}).encode(), recipients, table)
