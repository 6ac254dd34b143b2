"""Point-in-time preferences of each customer: the devices they read mail on and the
product categories they buy.

Like every customer feature, these see only rows strictly before the cutoff. Devices
come from the user agents of people's opens and clicks (``EVENTS_SCHEMA``; the reader
leaves machine opens out: a privacy proxy fetches images on no particular device),
classified once per distinct user agent with ``analytics.metrics.devices.device_of``;
a reader may instead hand over the opens and clicks already counted per customer and
user agent before the cutoff (``AGENT_COUNTS_SCHEMA``, ``device_shares``), which keeps
the event log's rows in the database.
Categories come from the orders' ``items`` JSON (``ITEMS_SCHEMA``: a list of objects
with ``product_id``, ``quantity`` and ``price``) joined with the products' categories
(``PRODUCTS_SCHEMA``); a line's spend is quantity × price (quantity 1 when absent; a
line without a price counts as one unit of spend, so a catalogue without prices still
says what was bought).
"""

from __future__ import annotations

import zlib
from datetime import datetime

import polars as pl

from analytics.metrics.devices import device_of
from analytics.metrics.order_items import decode_items

UTC = pl.Datetime("us", "UTC")
EVENTS_SCHEMA: dict[str, pl.DataType] = {"customer_id": pl.String(), "occurred_at": UTC,
                                         "user_agent": pl.String()}
# People's opens and clicks before a cutoff, counted per customer and user agent.
AGENT_COUNTS_SCHEMA: dict[str, pl.DataType] = {"customer_id": pl.String(),
                                               "user_agent": pl.String(), "n": pl.Int64()}
ITEMS_SCHEMA: dict[str, pl.DataType] = {"customer_id": pl.String(), "occurred_at": UTC,
                                        "items": pl.String()}
PRODUCTS_SCHEMA: dict[str, pl.DataType] = {"product_id": pl.String(),
                                           "category": pl.String()}
# The devices in the order of their codes (``preferred_device``).
DEVICE_CODES: tuple[str, ...] = ("mobile", "desktop", "tablet")
DEVICE_FEATURES: tuple[str, ...] = ("mobile_share", "desktop_share", "tablet_share",
                                    "preferred_device")
CATEGORY_FEATURES: tuple[str, ...] = ("top_category_share", "categories_bought",
                                      "top_category_code")
PREFERENCE_FEATURES: tuple[str, ...] = (*DEVICE_FEATURES, *CATEGORY_FEATURES)
# Codes, not amounts: LightGBM splits them as categories (one value against the rest).
CATEGORICAL_FEATURES: tuple[str, ...] = ("preferred_device", "top_category_code")
# ``top_category_code`` is CRC-32 of the category's name modulo this: the same code in
# training and at every later scoring without a vocabulary to store, and (for the tens
# of categories a store has) almost surely one code per category.
CATEGORY_CODES = 1 << 20


def device_features(events: pl.DataFrame, *, cutoff: datetime) -> pl.DataFrame:
    """``customer_id`` and ``DEVICE_FEATURES`` for each customer with an open or click of
    a known device before ``cutoff``: the share of those on each device, and the device
    with the most of them as its code in ``DEVICE_CODES`` (ties: the earlier code)."""
    counts = (events.filter(pl.col("occurred_at") < cutoff)
              .group_by("customer_id", "user_agent").agg(n=pl.len()))
    return device_shares(counts)


def device_shares(counts: pl.DataFrame) -> pl.DataFrame:
    """``device_features`` from opens and clicks already counted before the cutoff
    (``AGENT_COUNTS_SCHEMA``: ``n`` per customer and user agent), as a reader that cuts
    and counts the event log in SQL returns them."""
    # Few distinct user agents: classify each once, then add up per customer.
    agents = (counts.lazy().select(pl.col("user_agent").unique())
              .with_columns(device=device_of(pl.col("user_agent"))))
    per_device = (counts.lazy().filter(pl.col("n") > 0)
                  .join(agents, on="user_agent", how="left", nulls_equal=True)
                  .filter(pl.col("device").is_in(DEVICE_CODES))
                  .group_by("customer_id", "device").agg(pl.col("n").sum().cast(pl.Int64))
                  .collect())
    wide = per_device.pivot(on="device", index="customer_id", values="n")
    wide = wide.with_columns(pl.lit(0, pl.Int64).alias(name) for name in DEVICE_CODES
                             if name not in wide.columns)
    total = pl.sum_horizontal(DEVICE_CODES)
    shares = [(pl.col(name).fill_null(0) / total).alias(f"{name}_share")
              for name in DEVICE_CODES]
    # The first largest count: arg_max over the counts in code order.
    preferred = (pl.concat_list(pl.col(name).fill_null(0) for name in DEVICE_CODES)
                 .list.arg_max().cast(pl.Float64).alias("preferred_device"))
    return wide.select("customer_id", *shares, preferred).cast(
        {name: pl.Float64 for name in DEVICE_FEATURES})


def category_spend(items: pl.DataFrame, products: pl.DataFrame, *,
                   cutoff: datetime) -> pl.DataFrame:
    """``customer_id``, ``category`` and ``spend``: what each customer spent on each
    category in orders before ``cutoff`` (products without a category are left out)."""
    frame = items.filter((pl.col("occurred_at") < cutoff) & pl.col("items").is_not_null())
    parsed = decode_items(frame, ("quantity", "price"))
    lines = (parsed.select("customer_id", "items").explode("items")
             .filter(pl.col("items").is_not_null()).unnest("items")
             .filter(pl.col("product_id").is_not_null()))
    quantity = pl.col("quantity").fill_null(1.0)
    return (lines.join(products.filter(pl.col("category").is_not_null()),
                       on="product_id", how="inner")
            .group_by("customer_id", "category")
            .agg(spend=(quantity * pl.col("price").fill_null(1.0)).sum().cast(pl.Float64))
            .sort("customer_id", "category"))


def category_code(categories: pl.Series) -> pl.Series:
    """Each category's code: CRC-32 of its UTF-8 name modulo ``CATEGORY_CODES``."""
    names = categories.unique().drop_nulls().to_list()
    mapping = {name: float(zlib.crc32(name.encode()) % CATEGORY_CODES) for name in names}
    return categories.replace_strict(mapping, default=None, return_dtype=pl.Float64)


def category_features(items: pl.DataFrame, products: pl.DataFrame, *,
                      cutoff: datetime) -> pl.DataFrame:
    """``customer_id`` and ``CATEGORY_FEATURES`` for each customer who bought a product
    with a category before ``cutoff``: the top category's share of that spend, how many
    categories they bought and the top category's code (``category_code``; ties: the
    category first by name)."""
    spend = category_spend(items, products, cutoff=cutoff)
    top = (spend.sort(["customer_id", "spend", "category"], descending=[False, True, False])
           .group_by("customer_id", maintain_order=True)
           .agg(top=pl.col("category").first(), top_spend=pl.col("spend").first(),
                total=pl.col("spend").sum(), categories_bought=pl.len().cast(pl.Float64)))
    return top.select(
        "customer_id",
        top_category_share=pl.when(pl.col("total") > 0)
        .then(pl.col("top_spend") / pl.col("total")),
        categories_bought="categories_bought",
        top_category_code=category_code(top["top"]))
