"""Products and orders from four known sources: the repeat-purchase process, email clicks,
other-channel touchpoints and paid media. Each source's parameters are in the truth."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from server.demo.constants import (
    CAMPAIGN_TYPES,
    CATEGORIES,
    END_US,
    US_PER_DAY,
    US_PER_HOUR,
    ids,
    to_datetime,
)
from server.demo.population import Population

PRODUCTS_PER_CATEGORY = 24
CATEGORY_PRICE = {"apparel": 45.0, "electronics": 180.0, "home": 70.0, "beauty": 28.0,
                  "sports": 60.0, "books": 18.0, "toys": 32.0, "garden": 55.0}
# Chance that an email click leads to an order within a day, by campaign type.
CLICK_ORDER_PROBABILITY = {"newsletter": 0.04, "promotional": 0.09, "abandoned_cart": 0.22,
                           "welcome": 0.06, "reengagement": 0.05, "product_launch": 0.07}
SOURCES = ("repeat_purchase", "email_click", "touchpoint", "media")
# Basket structure (recorded in the truth): within a category, the item at position j is
# chosen with weight (j + 1)^-POPULARITY_EXPONENT; each item after an order's first is,
# with chance COMPLEMENT_PROBABILITY, the first item's complement (same position in the
# complementary category); see also FOLLOW_UP_PROBABILITY.
POPULARITY_EXPONENT = 0.7
COMPLEMENT_PROBABILITY = 0.4
# Chance that an order's first item is the complement of the customer's previous
# order's first item (the charger a month after the headphones).
FOLLOW_UP_PROBABILITY = 0.3
COMPLEMENT_CATEGORY = {"apparel": "sports", "sports": "apparel", "electronics": "home",
                       "home": "garden", "garden": "home", "beauty": "apparel",
                       "books": "toys", "toys": "books"}
_ADJECTIVES = ("Classic", "Everyday", "Premium", "Compact", "Organic", "Urban", "Vintage",
               "Smart", "Cozy", "Bold", "Essential", "Deluxe")
_NOUNS = {"apparel": ("Tee", "Hoodie", "Jacket"), "electronics": ("Headphones", "Speaker",
          "Charger"), "home": ("Lamp", "Throw", "Mug Set"), "beauty": ("Serum", "Balm",
          "Cleanser"), "sports": ("Yoga Mat", "Bottle", "Shorts"), "books": ("Novel",
          "Cookbook", "Atlas"), "toys": ("Puzzle", "Robot Kit", "Plush"),
          "garden": ("Planter", "Pruner", "Seed Box")}


@dataclass(frozen=True)
class Catalog:
    frame: pl.DataFrame
    price: np.ndarray
    category: np.ndarray  # index into CATEGORIES


@dataclass
class OrderDraft:
    """Orders before items are drawn: who, when, from which source, favouring a category."""

    customer: np.ndarray
    at_us: np.ndarray
    source: np.ndarray  # index into SOURCES
    category: np.ndarray  # -1: draw from the customer's affinities


def make_catalog(rng: np.random.Generator) -> Catalog:
    category = np.repeat(np.arange(len(CATEGORIES)), PRODUCTS_PER_CATEGORY)
    base = np.array([CATEGORY_PRICE[c] for c in CATEGORIES])[category]
    price = np.round(base * rng.lognormal(0, 0.4, len(category)), 0) - 0.01
    price = np.maximum(price, 4.99)
    names = [f"{_ADJECTIVES[i % len(_ADJECTIVES)]} {_NOUNS[CATEGORIES[c]][i % 3]} {i + 1}"
             for i, c in enumerate(category)]
    frame = pl.DataFrame({
        "product_id": [f"p{i + 1:04d}" for i in range(len(category))],
        "name": names,
        "category": [CATEGORIES[c] for c in category],
        "price": pl.Series(np.round(price, 2)).cast(pl.Decimal(18, 2)),
    })
    return Catalog(frame=frame, price=price, category=category)


def repeat_purchases(rng: np.random.Generator, people: Population) -> OrderDraft:
    """BG/NBD: Poisson(lambda) purchases from signup until dropping out (chance p after
    each purchase). Given the count in [signup, end], Poisson times are uniform."""
    span = (END_US - people.signup_us) / US_PER_DAY
    possible = rng.poisson(people.purchase_rate * span)
    lifetime = rng.geometric(people.dropout)  # purchases made up to and including dropout
    who = np.repeat(np.arange(people.size), possible)
    at = people.signup_us[who] + (rng.random(len(who)) * span[who] * US_PER_DAY).astype(np.int64)
    order = np.lexsort((at, who))
    who, at = who[order], at[order]
    starts = np.cumsum(possible) - possible
    rank = np.arange(len(who)) - np.repeat(starts, possible)
    keep = rank < lifetime[who]
    return OrderDraft(customer=who[keep], at_us=at[keep],
                      source=np.zeros(int(keep.sum()), dtype=np.int64),
                      category=np.full(int(keep.sum()), -1))


def click_orders(rng: np.random.Generator, customer: np.ndarray, campaign_type: np.ndarray,
                 campaign_category: np.ndarray, clicked: np.ndarray,
                 first_click_us: np.ndarray) -> OrderDraft:
    p = np.array([CLICK_ORDER_PROBABILITY[t] for t in CAMPAIGN_TYPES])[campaign_type]
    buys = clicked & (rng.random(len(clicked)) < p)
    delay = np.minimum(rng.exponential(2 * US_PER_HOUR, int(buys.sum())), 20 * US_PER_HOUR)
    return OrderDraft(customer=customer[buys],
                      at_us=first_click_us[buys] + 60_000_000 + delay.astype(np.int64),
                      source=np.full(int(buys.sum()), 1), category=campaign_category[buys])


def _items(rng: np.random.Generator, people: Population, catalog: Catalog,
           draft: OrderDraft) -> tuple[np.ndarray, ...]:
    n = len(draft.customer)
    count = np.minimum(1 + rng.poisson(0.6, n), 5)
    order = np.repeat(np.arange(n), count)
    cumulative = np.cumsum(people.affinity[draft.customer[order]], axis=1)
    drawn = (cumulative < rng.random(len(order))[:, None]).sum(axis=1)
    drawn = np.minimum(drawn, len(CATEGORIES) - 1)
    # The first item of a targeted order is from the category that prompted it.
    first = np.r_[True, order[1:] != order[:-1]] if len(order) else np.zeros(0, bool)
    wanted = draft.category[order]
    category = np.where(first & (wanted >= 0), wanted, drawn)
    rng.integers(0, PRODUCTS_PER_CATEGORY, len(order))  # kept: later draws stay the same
    quantity = 1 + (rng.random(len(order)) < 0.15)
    product = _structured(rng.spawn(1)[0], order, first, category, draft.customer)
    return order, product, quantity


def _structured(rng: np.random.Generator, order: np.ndarray, first: np.ndarray,
                category: np.ndarray, customer: np.ndarray) -> np.ndarray:
    """Products with the basket structure: skewed popularity within each category and
    complements of the order's first item (drawn from a child generator, so the demo's
    other draws do not move)."""
    weights = (np.arange(PRODUCTS_PER_CATEGORY) + 1.0) ** -POPULARITY_EXPONENT
    position = rng.choice(PRODUCTS_PER_CATEGORY, size=len(order), p=weights / weights.sum())
    product = category * PRODUCTS_PER_CATEGORY + position
    if not len(order):
        return product
    partner = np.array([CATEGORIES.index(COMPLEMENT_CATEGORY[c]) for c in CATEGORIES])

    def complement_of(items: np.ndarray) -> np.ndarray:
        return np.asarray(partner[items // PRODUCTS_PER_CATEGORY] * PRODUCTS_PER_CATEGORY
                          + items % PRODUCTS_PER_CATEGORY)

    # Follow-ups, round by round of each customer's orders (orders are in time order).
    heads = np.flatnonzero(first)
    who = customer[order[heads]]
    by_customer = np.lexsort((np.arange(len(heads)), who))
    rank = np.zeros(len(heads), dtype=np.int64)
    same = np.r_[False, who[by_customer][1:] == who[by_customer][:-1]]
    run_start = np.maximum.accumulate(np.where(~same, np.arange(len(heads)), 0))
    rank[by_customer] = np.arange(len(heads)) - run_start
    previous = np.full(len(heads), -1)
    previous[by_customer[same]] = by_customer[np.flatnonzero(same) - 1]
    follow = rng.random(len(heads)) < FOLLOW_UP_PROBABILITY
    for step in range(1, int(rank.max(initial=0)) + 1):
        now = np.flatnonzero((rank == step) & follow)
        product[heads[now]] = complement_of(product[heads[previous[now]]])
    head = heads[np.cumsum(first) - 1]  # index of each item's order head
    complement = complement_of(product[head])
    swap = ~first & (rng.random(len(order)) < COMPLEMENT_PROBABILITY)
    return np.where(swap, complement, product)


def finish_orders(rng: np.random.Generator, people: Population, catalog: Catalog,
                  draft: OrderDraft) -> tuple[pl.DataFrame, pl.DataFrame, OrderDraft]:
    """Orders frame (sorted by time) and the item rows behind it."""
    order_of = np.argsort(draft.at_us, kind="stable")
    draft = OrderDraft(customer=draft.customer[order_of], at_us=draft.at_us[order_of],
                       source=draft.source[order_of], category=draft.category[order_of])
    order, product, quantity = _items(rng, people, catalog, draft)
    price = catalog.price[product]
    order_ids = ids("o", len(draft.customer), 8)
    items = pl.DataFrame({
        "order": order, "product_id": catalog.frame["product_id"].gather(product),
        "quantity": quantity.astype(np.int64), "price": np.round(price, 2),
    })
    text = items.group_by("order", maintain_order=True).agg(
        amount=(pl.col("quantity") * pl.col("price")).sum(),
        items=pl.concat_str(pl.lit('{"product_id":"'), "product_id", pl.lit('","quantity":'),
                            pl.col("quantity").cast(pl.Utf8), pl.lit(',"price":'),
                            pl.col("price").cast(pl.Utf8), pl.lit("}")).str.join(","),
    ).sort("order")
    orders = pl.DataFrame({
        "order_id": order_ids,
        "customer_id": people.frame["customer_id"].gather(draft.customer),
        "occurred_at": to_datetime(draft.at_us),
    }).with_columns(
        amount=text["amount"].round(2).cast(pl.Decimal(18, 2)),
        currency=pl.lit("USD"),
        items="[" + text["items"] + "]",
    )
    return orders, items, draft
