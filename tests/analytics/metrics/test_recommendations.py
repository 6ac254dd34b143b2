from __future__ import annotations

from hypothesis import given, settings

from analytics.metrics import (
    METRIC_NAMES,
    RULES,
    Recommendation,
    RecommendationRule,
    Targets,
    evaluate,
    recommend,
)
from tests.analytics.metrics.support import counter_rows

SUMMARY = {
    "sent": 1000,
    "delivered": 970,
    "bounced": 30,
    "hard_bounced": 20,
    "soft_bounced": 10,
    "unique_opens": 200,
    "human_unique_opens": 150,
    "total_opens": 300,
    "unique_clicks": 25,
    "total_clicks": 40,
    "unsubscribed": 6,
    "complained": 1,
    "conversions": 21,
    "revenue": 480.0,
}
HEALTHY = SUMMARY | {"delivered": 990, "bounced": 10, "unique_opens": 300, "unique_clicks": 60,
                     "unsubscribed": 1, "complained": 0, "revenue": 900.0}


def test_recommendations_golden() -> None:
    found = recommend(evaluate(SUMMARY))
    assert [(r.metric, r.status, r.category, r.priority) for r in found] == [
        ("bounce_rate", "bad", "deliverability", "high"),
        ("unsubscribe_rate", "bad", "retention", "high"),
        ("delivery_rate", "warning", "deliverability", "medium"),
        ("click_rate", "bad", "engagement", "medium"),
        ("click_to_open_rate", "bad", "content", "medium"),
        ("complaint_rate", "warning", "deliverability", "medium"),
        ("open_rate", "warning", "engagement", "low"),
        ("revenue_per_email", "warning", "revenue", "low"),
    ]


def test_bounce_recommendation_in_full() -> None:
    bounce = recommend(evaluate(SUMMARY))[0]
    assert bounce == Recommendation(
        category="deliverability",
        metric="bounce_rate",
        status="bad",
        priority="high",
        evidence=(
            "Bounce rate is 3.00% (30 bounced over 1,000 sent) against a target of at most 2.00%."
        ),
        actions=(
            "Remove hard-bounced addresses from every list",
            "Use double opt-in for new sign-ups",
            "Validate addresses where they are collected (typo and domain checks)",
            "Re-confirm addresses that have not engaged in 12 months before mailing them",
        ),
    )


def test_evidence_for_money_and_click_to_open() -> None:
    found = {r.metric: r.evidence for r in recommend(evaluate(SUMMARY))}
    assert found["revenue_per_email"] == (
        "Revenue per email is 0.49 (480.00 revenue over 970 delivered) against a target of "
        "at least 0.50."
    )
    assert found["click_to_open_rate"] == (
        "Click-to-open rate is 12.50% (25 unique clicks over 200 unique opens) against a "
        "target of at least 15.00%."
    )


def test_healthy_summary_gets_no_recommendations() -> None:
    assert {s.status for s in evaluate(HEALTHY)} == {"good"}
    assert recommend(evaluate(HEALTHY)) == []


def test_no_data_gets_no_recommendations() -> None:
    assert recommend(evaluate(dict.fromkeys(SUMMARY, 0))) == []


def test_rules_without_warning_priority_fire_only_when_bad() -> None:
    rules = (RecommendationRule("open_rate", "engagement", "high", None, ("Test subjects",)),)
    assert recommend(evaluate(SUMMARY), rules) == []
    statuses = evaluate(SUMMARY, Targets.from_dict({"open_rate": 0.5}))
    assert [r.priority for r in recommend(statuses, rules)] == ["high"]


def test_every_rule_names_a_metric_and_has_actions() -> None:
    assert {rule.metric for rule in RULES} == set(METRIC_NAMES)
    assert all(rule.actions for rule in RULES)


_RANK = {"high": 0, "medium": 1, "low": 2}


@settings(database=None, max_examples=60, deadline=None)
@given(counter_rows(big=2_000))
def test_recommendations_follow_the_statuses_and_the_priorities(
        summary: dict[str, float]) -> None:
    statuses = evaluate(summary)
    found = recommend(statuses)
    by_metric = {status.metric: status for status in statuses}
    # Only bad or warning metrics fire, each with the status it was judged.
    assert all(by_metric[item.metric].status == item.status in ("bad", "warning")
               for item in found)
    # Every bad metric with a rule fires.
    ruled = {rule.metric for rule in RULES}
    bad = [status.metric for status in statuses
           if status.status == "bad" and status.metric in ruled]
    assert set(bad) <= {item.metric for item in found}
    # High first, then medium, then low; within a priority, in the order of the statuses.
    ranks = [_RANK[item.priority] for item in found]
    assert ranks == sorted(ranks)
    order = [status.metric for status in statuses]
    for rank in set(ranks):
        metrics = [item.metric for item in found if _RANK[item.priority] == rank]
        assert metrics == sorted(metrics, key=order.index)
