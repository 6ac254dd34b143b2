"""Recommendations: a rule table over evaluated metrics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from analytics.metrics.definitions import COUNTER_LABELS, metric
from analytics.metrics.evaluation import MetricStatus

Category = Literal["deliverability", "engagement", "content", "retention", "revenue"]
Priority = Literal["high", "medium", "low"]
_PRIORITY_ORDER = {"high": 0, "medium": 1, "low": 2}


@dataclass(frozen=True)
class RecommendationRule:
    """Recommend ``actions`` when ``metric`` is bad (or, if ``warning_priority`` is set,
    in the warning band); the priority depends on which."""

    metric: str
    category: Category
    bad_priority: Priority
    warning_priority: Priority | None
    actions: tuple[str, ...]


@dataclass(frozen=True)
class Recommendation:
    """What to do about one metric, with the numbers that triggered it."""

    category: Category
    metric: str
    status: str
    priority: Priority
    evidence: str
    actions: tuple[str, ...]


RULES: tuple[RecommendationRule, ...] = (
    RecommendationRule("delivery_rate", "deliverability", "high", "medium", (
        "Check the bounce and block reasons per receiving domain in the provider's logs",
        "Authenticate the sending domain with SPF, DKIM and DMARC",
        "Remove hard-bounced and long-inactive addresses before the next send",
    )),
    RecommendationRule("bounce_rate", "deliverability", "high", "medium", (
        "Remove hard-bounced addresses from every list",
        "Use double opt-in for new sign-ups",
        "Validate addresses where they are collected (typo and domain checks)",
        "Re-confirm addresses that have not engaged in 12 months before mailing them",
    )),
    RecommendationRule("hard_bounce_rate", "deliverability", "high", "medium", (
        "Suppress an address automatically after its first hard bounce",
        "Stop importing bought, rented or old lists",
        "Use double opt-in for new sign-ups",
    )),
    RecommendationRule("soft_bounce_rate", "deliverability", "medium", "low", (
        "Retry soft bounces with back-off and suppress addresses that keep failing",
        "Check message size and the sending rate per receiving domain",
    )),
    RecommendationRule("complaint_rate", "deliverability", "high", "medium", (
        "Add a one-click List-Unsubscribe header and a visible unsubscribe link",
        "Mail only people who opted in, and say why they receive the email",
        "Send less often to segments that have not engaged recently",
    )),
    RecommendationRule("open_rate", "engagement", "medium", "low", (
        "A/B test subject lines and preheaders",
        "Send on the weekday and hour the audience opens most",
        "Use a sender name recipients recognise",
        "Re-engage or sunset subscribers inactive for six months or more",
    )),
    RecommendationRule("human_open_rate", "engagement", "medium", "low", (
        "A/B test subject lines and preheaders",
        "Send on the weekday and hour the audience opens most",
        "Re-engage or sunset subscribers inactive for six months or more",
    )),
    RecommendationRule("click_rate", "engagement", "medium", "low", (
        "Put one clear call to action near the top of the email",
        "Segment the audience so the content matches its interests",
        "Make buttons and links easy to tap on mobile",
    )),
    RecommendationRule("click_to_open_rate", "content", "medium", "low", (
        "Make the content deliver what the subject line promises",
        "Use one primary call to action with a descriptive label",
        "Personalise product and content blocks from past behaviour",
    )),
    RecommendationRule("unsubscribe_rate", "retention", "high", "medium", (
        "Offer a preference centre for topics and frequency instead of only unsubscribe",
        "Reduce sending frequency, above all for low-engagement segments",
        "Segment by interest so each subscriber gets relevant content",
        "Set expectations about content and frequency in the welcome email",
    )),
    RecommendationRule("conversion_rate", "revenue", "medium", "low", (
        "Check that landing pages match the email offer and load fast on mobile",
        "Add abandoned-cart and browse-abandonment automations",
        "Tag links with UTM parameters to find where buyers drop off",
    )),
    RecommendationRule("revenue_per_email", "revenue", "medium", "low", (
        "Feature best-selling or personalised products",
        "Send tailored offers to high-value segments",
        "A/B test offers and incentives",
    )),
    RecommendationRule("revenue_per_recipient", "revenue", "medium", "low", (
        "Improve delivery first: revenue per recipient counts bounced sends",
        "Feature best-selling or personalised products",
        "Send tailored offers to high-value segments",
    )),
)


def evidence(status: MetricStatus) -> str:
    """One sentence with the value, its counters and the target of ``status``."""
    definition = metric(status.metric)
    value = "no data" if status.value is None else definition.format_value(status.value)
    numerator = (
        definition.format_value(status.numerator)
        if definition.numerator == "revenue"
        else f"{int(status.numerator):,}"
    )
    bound = "at least" if status.higher_is_better else "at most"
    return (
        f"{status.label} is {value} ({numerator} {definition.numerator.replace('_', ' ')} "
        f"over {status.denominator:,} {COUNTER_LABELS[definition.denominator]}) against a "
        f"target of {bound} {definition.format_value(status.target)}."
    )


def recommend(
    statuses: Sequence[MetricStatus], rules: Sequence[RecommendationRule] = RULES
) -> list[Recommendation]:
    """Recommendations for the bad and warning metrics of ``statuses``.

    Each rule fires for its metric when the status is ``"bad"``, or ``"warning"`` when the
    rule has a warning priority; good and no-data metrics never fire. The result is
    ordered by priority (high first), then by the order of ``statuses``.
    """
    by_metric: dict[str, list[RecommendationRule]] = {}
    for rule in rules:
        by_metric.setdefault(rule.metric, []).append(rule)
    found: list[Recommendation] = []
    for status in statuses:
        for rule in by_metric.get(status.metric, []):
            priority = (
                rule.bad_priority if status.status == "bad"
                else rule.warning_priority if status.status == "warning"
                else None
            )
            if priority is None:
                continue
            found.append(
                Recommendation(
                    category=rule.category,
                    metric=status.metric,
                    status=status.status,
                    priority=priority,
                    evidence=evidence(status),
                    actions=rule.actions,
                )
            )
    return sorted(found, key=lambda item: _PRIORITY_ORDER[item.priority])
