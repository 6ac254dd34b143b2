"""Web behaviour: the visit, views, cart adds and checkout behind every order in the window,
plus browsing sessions that end without a purchase (abandoned carts among them)."""

from __future__ import annotations

import numpy as np
import polars as pl

from server.demo.commerce import PRODUCTS_PER_CATEGORY, Catalog
from server.demo.constants import CATEGORIES, END_US, US_PER_DAY, ids, to_datetime
from server.demo.population import Population

US_PER_MINUTE = 60_000_000
BROWSE_SESSIONS_PER_DAY = 0.012
CART_ABANDON_SHARE = 0.25  # browsing sessions that add to cart and leave
_QUERIES = ("gift ideas", "sale", "new arrivals", "black", "wireless", "organic", "kids",
            "running", "lamp", "bestsellers")


def _json(key: str, values: np.ndarray) -> pl.Series:
    """One-key JSON objects, built column-wise (strings quoted, numbers bare)."""
    series = pl.Series(values)
    text = series.cast(pl.Utf8)
    if series.dtype == pl.Utf8:
        text = '"' + text + '"'
    return f'{{"{key}":' + text + "}"


def _minutes(rng: np.random.Generator, low: int, high: int, size: int) -> np.ndarray:
    return (rng.uniform(low, high, size) * US_PER_MINUTE).astype(np.int64)


def make_behavior(rng: np.random.Generator, people: Population, catalog: Catalog,
                  orders: pl.DataFrame, items: pl.DataFrame, order_customer: np.ndarray,
                  order_us: np.ndarray, days: int) -> pl.DataFrame:
    start_us = END_US - days * US_PER_DAY
    in_window = order_us >= start_us + US_PER_MINUTE * 60
    shown = np.flatnonzero(in_window)
    item_order = items["order"].to_numpy()
    item_shown = in_window[item_order]
    item_o = item_order[item_shown]
    item_product = (items["product_id"].str.slice(1).cast(pl.Int64).to_numpy() - 1)[item_shown]
    quantity = items["quantity"].to_numpy()[item_shown]
    n_items = np.bincount(item_o, minlength=len(order_us))

    # Browsing sessions that end without an order.
    begin = np.maximum(people.signup_us, start_us)
    span = (END_US - begin) / US_PER_DAY
    sessions = rng.poisson(BROWSE_SESSIONS_PER_DAY * span)
    s_who = np.repeat(np.arange(people.size), sessions)
    # Sessions last up to an hour and must end before the end of the window.
    room = np.maximum(span[s_who] * US_PER_DAY - 61 * US_PER_MINUTE, 0)
    s_at = begin[s_who] + (rng.random(len(s_who)) * room).astype(np.int64)
    views = 1 + rng.poisson(1.2, len(s_who))
    v_session = np.repeat(np.arange(len(s_who)), views)
    cumulative = np.cumsum(people.affinity[s_who[v_session]], axis=1)
    v_category = np.minimum((cumulative < rng.random(len(v_session))[:, None]).sum(axis=1),
                            len(CATEGORIES) - 1)
    v_product = v_category * PRODUCTS_PER_CATEGORY + rng.integers(
        0, PRODUCTS_PER_CATEGORY, len(v_session))
    browse = rng.random(len(s_who)) < 0.5
    search = rng.random(len(s_who)) < 0.3
    abandon = rng.random(len(s_who)) < CART_ABANDON_SHARE
    first_view = np.r_[0, np.cumsum(views)[:-1]].astype(np.int64)

    product_ids = catalog.frame["product_id"]
    category_names = np.array(CATEGORIES)
    o_at = order_us[shown]
    blocks = [
        # (customer index, time, type, product index or -1, properties JSON or None)
        (order_customer[shown], o_at - _minutes(rng, 41, 60, len(shown)), "website_visit",
         np.full(len(shown), -1), None),
        (order_customer[item_o], order_us[item_o] - _minutes(rng, 16, 40, len(item_o)),
         "product_view", item_product, None),
        (order_customer[item_o], order_us[item_o] - _minutes(rng, 6, 15, len(item_o)),
         "cart_add", item_product, _json("quantity", quantity)),
        (order_customer[shown], o_at - _minutes(rng, 1, 5, len(shown)), "checkout",
         np.full(len(shown), -1), _json("items", n_items[shown])),
        (s_who, s_at, "website_visit", np.full(len(s_who), -1), None),
        (s_who[browse], s_at[browse] + _minutes(rng, 1, 3, int(browse.sum())),
         "category_browse", np.full(int(browse.sum()), -1),
         _json("category", category_names[v_category[first_view[browse]]])),
        (s_who[search], s_at[search] + _minutes(rng, 3, 5, int(search.sum())), "search",
         np.full(int(search.sum()), -1),
         _json("query", np.array(_QUERIES)[rng.integers(0, len(_QUERIES), int(search.sum()))])),
        (s_who[v_session], s_at[v_session] + _minutes(rng, 5, 40, len(v_session)),
         "product_view", v_product, None),
        (s_who[abandon], s_at[abandon] + _minutes(rng, 41, 60, int(abandon.sum())),
         "cart_add", v_product[first_view[abandon]],
         _json("quantity", np.ones(int(abandon.sum()), np.int64))),
    ]
    frame = pl.concat([
        pl.DataFrame({
            "_who": who, "_at": at, "type": pl.Series([kind] * len(who), dtype=pl.Utf8),
            "_product": product,
            "properties": pl.Series(props if props is not None else [None] * len(who),
                                    dtype=pl.Utf8),
        }) for who, at, kind, product, props in blocks
    ]).sort("_at", "_who", maintain_order=True)
    product = frame["_product"].to_numpy()
    return pl.DataFrame({
        "event_id": ids("b", frame.height, 9),
        "customer_id": people.frame["customer_id"].gather(frame["_who"].to_numpy()),
        "type": frame["type"],
        "occurred_at": to_datetime(frame["_at"].to_numpy()),
        "product_id": product_ids.gather(np.maximum(product, 0)),
        "properties": frame["properties"],
    }).with_columns(product_id=pl.when(pl.Series(product >= 0)).then("product_id"))
