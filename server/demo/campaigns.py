"""Campaigns, their subject lines and A/B variants, and the true effects that drive opens."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

import numpy as np
import polars as pl

from server.demo.constants import (
    CAMPAIGN_TYPE_SHARE,
    CAMPAIGN_TYPES,
    CATEGORIES,
    END_US,
    US_PER_DAY,
    US_PER_HOUR,
    to_datetime,
)

# Logit effects on the chance a delivered email is opened by a person (recorded in truth).
OPEN_INTERCEPT = -1.25
OPEN_TYPE_EFFECT = {"newsletter": 0.0, "promotional": -0.2, "abandoned_cart": 0.7,
                    "welcome": 0.9, "reengagement": -0.6, "product_launch": 0.15}
SUBJECT_EFFECTS = {"long": -0.15, "emoji": 0.10, "personalised": 0.22, "question": 0.08,
                   "urgency": 0.12, "number": 0.06}
LONG_SUBJECT_CHARS = 50
# Logit effects on the chance an opener clicks.
CLICK_INTERCEPT = -1.7
CLICK_TYPE_EFFECT = {"newsletter": -0.3, "promotional": 0.2, "abandoned_cart": 0.8,
                     "welcome": 0.3, "reengagement": 0.0, "product_launch": 0.2}
AB_SHARE = 0.4
VARIANT_OPEN_LIFT_SD = 0.3
VARIANT_CLICK_LIFT_SD = 0.25
SEND_HOURS_UTC = (8, 9, 10, 11, 13, 14, 16, 17, 19, 20)

_BASE = {
    "newsletter": ("Your {cat} digest for this week", "What's new in {cat}"),
    "promotional": ("Save {pct}% on {cat} favourites", "Our {cat} sale starts now"),
    "abandoned_cart": ("You left something in your cart", "Still thinking it over"),
    "welcome": ("Welcome to the shop", "Thanks for joining us"),
    "reengagement": ("We miss you", "It has been a while"),
    "product_launch": ("Meet the new {cat} collection", "Just landed in {cat}"),
}
_EMOJI = ("\N{SPARKLES}", "\N{FIRE}", "\N{WRAPPED PRESENT}", "\N{SHOPPING BAGS}")
_URGENT = (" - today only", " - ends tonight", " - last chance")
_LONG_TAIL = " with free shipping and easy returns on every order"


@dataclass(frozen=True)
class Campaigns:
    campaigns: pl.DataFrame
    variants: pl.DataFrame
    send_us: np.ndarray  # per campaign
    type_index: np.ndarray  # per campaign, into CAMPAIGN_TYPES
    category_index: np.ndarray  # per campaign, into CATEGORIES
    # One arm per (campaign, variant); a campaign without A/B test has one arm, variant "".
    arm_campaign: np.ndarray
    arm_variant: list[str]
    arm_weight: np.ndarray
    arm_open_logit: np.ndarray  # type + subject + variant lift, before recipient terms
    arm_click_logit: np.ndarray
    arm_subject: list[str]
    arm_open_lift: np.ndarray
    arm_click_lift: np.ndarray
    arm_features: list[dict[str, bool]]


def _subject(rng: np.random.Generator, kind: str, category: str) -> tuple[str, dict[str, bool]]:
    text = str(rng.choice(_BASE[kind])).format(cat=category, pct=int(rng.choice([10, 20, 30])))
    features = {"personalised": rng.random() < 0.3, "question": rng.random() < 0.2,
                "urgency": rng.random() < 0.25, "number": "%" in text or rng.random() < 0.2,
                "emoji": rng.random() < 0.3}
    if features["number"] and "%" not in text:
        text = f"{int(rng.integers(3, 11))} picks: {text}"
    if features["personalised"]:
        text = "{{first_name}}, " + text[0].lower() + text[1:]
    if features["urgency"]:
        text += str(rng.choice(_URGENT))
    if rng.random() < 0.25:
        text += _LONG_TAIL
    text += "?" if features["question"] else ""
    if features["emoji"]:
        text = f"{rng.choice(_EMOJI)} {text}"
    features["long"] = len(text) > LONG_SUBJECT_CHARS
    return text, features


def make_campaigns(rng: np.random.Generator, count: int, days: int) -> Campaigns:
    start_us = END_US - days * US_PER_DAY
    # Campaigns need a few days for opens and orders to arrive before the end of the world.
    last_day = max(days - 4, 2)
    day = np.sort(rng.integers(1, last_day, size=count))
    hour = rng.choice(SEND_HOURS_UTC, size=count)
    send_us = (start_us + day * US_PER_DAY + hour * US_PER_HOUR).astype(np.int64)
    type_index = rng.choice(len(CAMPAIGN_TYPES), size=count, p=CAMPAIGN_TYPE_SHARE)
    category_index = rng.integers(0, len(CATEGORIES), size=count)
    is_ab = rng.random(count) < AB_SHARE

    rows, variant_rows = [], []
    arm: dict[str, list[Any]] = {k: [] for k in ("campaign", "variant", "weight", "open", "click",
                                            "subject", "open_lift", "click_lift", "features")}
    for index in range(count):
        kind, category = CAMPAIGN_TYPES[type_index[index]], CATEGORIES[category_index[index]]
        campaign_id = f"cmp{index + 1:04d}"
        if is_ab[index]:
            arms = 3 if rng.random() < 0.25 else 2
            weights = [1 / 3] * 3 if arms == 3 else ([0.5, 0.5] if rng.random() < 0.7
                                                     else [0.3, 0.7])
            names = ["A", "B", "C"][:arms]
        else:
            weights, names = [1.0], [""]
        subjects = [_subject(rng, kind, category) for _ in names]
        for position, (name, weight, (text, features)) in enumerate(
                zip(names, weights, subjects, strict=True)):
            open_lift = 0.0 if position == 0 else float(rng.normal(0, VARIANT_OPEN_LIFT_SD))
            click_lift = 0.0 if position == 0 else float(rng.normal(0, VARIANT_CLICK_LIFT_SD))
            subject_effect = sum(SUBJECT_EFFECTS[k] for k, on in features.items() if on)
            arm["campaign"].append(index)
            arm["variant"].append(name)
            arm["weight"].append(weight)
            arm["open"].append(OPEN_INTERCEPT + OPEN_TYPE_EFFECT[kind] + subject_effect
                               + open_lift)
            arm["click"].append(CLICK_INTERCEPT + CLICK_TYPE_EFFECT[kind] + click_lift)
            arm["subject"].append(text)
            arm["open_lift"].append(open_lift)
            arm["click_lift"].append(click_lift)
            arm["features"].append({k: bool(v) for k, v in sorted(features.items())})
            if name:
                variant_rows.append((campaign_id, name, text, weight))
        rows.append((campaign_id, f"{kind.replace('_', ' ').title()}: {category} #{index + 1}",
                     subjects[0][0], "Northwind Outfitters", kind, category,
                     f"tpl-{kind}-{int(rng.integers(1, 4))}"))
    campaigns = pl.DataFrame(rows, orient="row", schema=[
        "campaign_id", "name", "subject_line", "sender_name", "campaign_type", "category",
        "template_id"]).with_columns(send_at=to_datetime(send_us))
    variants = pl.DataFrame(variant_rows, orient="row", schema={
        "campaign_id": pl.Utf8, "variant_id": pl.Utf8, "subject_line": pl.Utf8,
        "weight": pl.Float64})
    return Campaigns(
        campaigns=campaigns, variants=variants, send_us=send_us, type_index=type_index,
        category_index=category_index, arm_campaign=np.array(arm["campaign"]),
        arm_variant=arm["variant"], arm_weight=np.array(arm["weight"]),
        arm_open_logit=np.array(arm["open"]), arm_click_logit=np.array(arm["click"]),
        arm_subject=arm["subject"], arm_open_lift=np.array(arm["open_lift"]),
        arm_click_lift=np.array(arm["click_lift"]), arm_features=arm["features"])


# Template types by campaign type (the first is the most common); the demo's content has
# no effect on opens or clicks (recorded in the truth), so models should find none.
TEMPLATES = {"newsletter": ("multi_column", "single_column"),
             "promotional": ("product_grid", "single_column"),
             "abandoned_cart": ("product_grid", "single_column"),
             "welcome": ("single_column", "plain_text"),
             "reengagement": ("plain_text", "single_column"),
             "product_launch": ("product_grid", "multi_column")}
_PARAGRAPH = ("Fresh picks in {cat}, chosen for the season and ready to ship. "
              "Browse what other readers loved this week.")


def campaign_content(rng: np.random.Generator, plan: Campaigns) -> pl.DataFrame:
    """``campaign_id``, ``html`` and ``template_type`` for every campaign of ``plan``:
    a few paragraphs, product images with links and one or two buttons, by template."""
    rows = []
    for index, campaign_id in enumerate(plan.campaigns["campaign_id"]):
        kind = CAMPAIGN_TYPES[plan.type_index[index]]
        category = escape(CATEGORIES[plan.category_index[index]])
        template = TEMPLATES[kind][0 if rng.random() < 0.7 else 1]
        url = f"https://shop.example.com/{category}"
        products = 0 if template == "plain_text" else int(rng.integers(
            4, 9) if template == "product_grid" else rng.integers(1, 4))
        paragraphs = int(rng.integers(1, 5))
        parts = [f"<p>{_PARAGRAPH.format(cat=category)}</p>" for _ in range(paragraphs)]
        parts += [f'<a href="{url}/p{n + 1}"><img src="{url}/p{n + 1}.jpg" '
                  f'alt="{category} pick {n + 1}"></a>' for n in range(products)]
        buttons = 0 if template == "plain_text" else int(rng.integers(1, 3))
        parts += [f'<a class="button" href="{url}?cta={n + 1}">Shop {category}</a>'
                  for n in range(buttons)]
        parts.append(f'<p><a href="{url}/unsubscribe">Unsubscribe</a></p>')
        html = ("<html><head><style>p{margin:0}</style></head><body>" + "".join(parts)
                + "</body></html>")
        rows.append((campaign_id, html, template))
    return pl.DataFrame(rows, orient="row",
                        schema=["campaign_id", "html", "template_type"])
