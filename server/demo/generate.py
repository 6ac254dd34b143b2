"""``generate``: the whole demo world from one seed, as import-ready frames plus truth."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from server.demo.behavior import make_behavior
from server.demo.campaigns import campaign_content, make_campaigns
from server.demo.channels import make_channels
from server.demo.commerce import (
    OrderDraft,
    click_orders,
    finish_orders,
    make_catalog,
    repeat_purchases,
)
from server.demo.engagement import make_sends
from server.demo.population import make_population
from server.demo.truth import build_truth, customer_truth

# Load order: every kind comes after the kinds its rows refer to.
KINDS = ("customers", "products", "campaigns", "variants", "messages", "events", "orders",
         "touchpoints", "behavior", "spend")
MIN_DAYS = 14


@dataclass(frozen=True)
class DemoData:
    """Import-ready frames by kind (in load order) and the JSON-ready ground truth."""

    frames: dict[str, pl.DataFrame]
    truth: dict[str, Any]
    # Each customer's latent traits (``customer_truth``): too many rows for the JSON truth.
    customers_truth: pl.DataFrame = field(default_factory=pl.DataFrame)

    def counts(self) -> dict[str, int]:
        return {kind: frame.height for kind, frame in self.frames.items()}


def generate(*, customers: int = 20000, campaigns: int | None = None, days: int = 180,
             seed: int = 7) -> DemoData:
    """A deterministic demo data set: same arguments, same frames and truth, on any day.

    ``campaigns`` defaults to one every three days of the window.
    """
    if customers < 1:
        raise ValueError(f"customers={customers}: pass at least 1 customer")
    if days < MIN_DAYS:
        raise ValueError(f"days={days}: pass at least {MIN_DAYS} days so campaigns can finish")
    campaigns = max(1, round(days / 3)) if campaigns is None else campaigns
    if campaigns < 1:
        raise ValueError(f"campaigns={campaigns}: pass at least 1 campaign")
    rng = np.random.Generator(np.random.PCG64(seed))
    people = make_population(rng, customers, days)
    plan = make_campaigns(rng, campaigns, days)
    sends = make_sends(rng, people, plan)
    catalog = make_catalog(rng)
    repeat = repeat_purchases(rng, people)
    clicks = click_orders(rng, sends.customer, plan.type_index[sends.campaign],
                          plan.category_index[sends.campaign], sends.clicked,
                          sends.first_click_us)
    channels = make_channels(rng, people, days)
    parts = (repeat, clicks, channels.orders)
    draft = OrderDraft(*(np.concatenate([getattr(p, f) for p in parts])
                         for f in ("customer", "at_us", "source", "category")))
    orders, items, draft = finish_orders(rng, people, catalog, draft)
    behavior = make_behavior(rng, people, catalog, orders, items, draft.customer, draft.at_us,
                             days)
    # The content draws from its own stream, so adding it changed no other frame.
    content = campaign_content(np.random.Generator(np.random.PCG64([seed, 1])), plan)
    frames = {
        "customers": people.frame, "products": catalog.frame,
        "campaigns": plan.campaigns.hstack(content.drop("campaign_id")),
        "variants": plan.variants, "messages": sends.messages, "events": sends.events,
        "orders": orders, "touchpoints": channels.touchpoints, "behavior": behavior,
        "spend": channels.spend,
    }
    truth = build_truth(seed=seed, customers=customers, campaigns=campaigns, days=days,
                        frames=frames, plan=plan, sends=sends, draft=draft, channels=channels)
    return DemoData(frames=frames, truth=truth, customers_truth=customer_truth(people))
