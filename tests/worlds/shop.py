"""A literal shop for the recommendation and variant-selection tests, loaded through
ingestion.

Catalog: shoes p1-p3, socks p4-p5, books p6-p8. Before 2026-03-15 (the split):
u1, u2 bought p1 + p4; u3 bought p1 + p5; u4 bought p2 + p4; u5 bought p6; u6 bought
p6 + p7; u7 bought p1 and viewed p4; u9 viewed p6; u8's order lists items without
product ids (no lines). After the split: u7 buys p4, u5 buys p7, u9 buys p6.

Campaign ``sel`` (variants A and B) was sent on 2026-03-10 to u1-u12, A to the odd and
B to the even customers; the B sends to u2, u4, u6, u8 and the A send to u1 were opened.
Campaign ``solo`` has one variant; ``plain`` none.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl
from sqlalchemy import Engine

from server.ingest.load import load_frame

SPLIT = datetime(2026, 3, 15, tzinfo=UTC)
PEOPLE = [f"u{i}" for i in range(1, 13)]
PRODUCTS = pl.DataFrame({
    "product_id": [f"p{i}" for i in range(1, 9)],
    "name": ["Runner", "Trail", "Loafer", "Ankle socks", "Wool socks", "Novel", "Atlas",
             "Cookbook"],
    "category": ["shoes"] * 3 + ["socks"] * 2 + ["books"] * 3,
    "price": ["80.00", "90.00", "70.00", "8.00", "12.00", "15.00", "30.00", "25.00"]})
BASKETS = [("o1", "u1", "2026-03-01", ["p1", "p4"]), ("o2", "u2", "2026-03-02", ["p1", "p4"]),
           ("o3", "u3", "2026-03-03", ["p1", "p5"]), ("o4", "u4", "2026-03-04", ["p2", "p4"]),
           ("o5", "u5", "2026-03-05", ["p6"]), ("o6", "u6", "2026-03-06", ["p6", "p7"]),
           ("o7", "u7", "2026-03-07", ["p1"]), ("o9", "u7", "2026-03-20", ["p4"]),
           ("o10", "u5", "2026-03-21", ["p7"]), ("o11", "u9", "2026-03-22", ["p6"])]
OPENED = {"u1", "u2", "u4", "u6", "u8"}


def _items(products: list[str]) -> str:
    return json.dumps([{"product_id": p, "quantity": 1, "price": 10.0} for p in products])


def frames() -> dict[str, pl.DataFrame]:
    orders = pl.DataFrame({
        "order_id": [b[0] for b in BASKETS] + ["o8"],
        "customer_id": [b[1] for b in BASKETS] + ["u8"],
        "occurred_at": [f"{b[2]}T12:00:00Z" for b in BASKETS] + ["2026-03-08T12:00:00Z"],
        "amount": ["10.00"] * (len(BASKETS) + 1), "currency": ["USD"] * (len(BASKETS) + 1),
        "items": [_items(b[3]) for b in BASKETS] + ['[{"sku": "p1", "quantity": 1}]']})
    sends = [(f"m{i}", "sel", "AB"[(i + 1) % 2], f"u{i}") for i in range(1, 13)]
    events = [(f"d{i}", "delivered", "2026-03-10T09:00:05Z", m) for i, (m, *_) in
              enumerate(sends)]
    events += [(f"e{m}", "open", "2026-03-10T10:00:00Z", m) for m, _, _, who in sends
               if who in OPENED]
    return {
        "customers": pl.DataFrame({"customer_id": [*PEOPLE, "fresh"],
                                   "email": [f"{c}@example.com" for c in [*PEOPLE, "fresh"]]}),
        "products": PRODUCTS,
        "campaigns": pl.DataFrame({
            "campaign_id": ["sel", "solo", "plain"], "name": ["Spring", "Solo", "Plain"],
            "subject_line": ["Spring shoes", "Hello", "News"],
            "send_at": ["2026-03-10T09:00:00Z"] * 3}),
        "variants": pl.DataFrame({
            "campaign_id": ["sel", "sel", "solo"], "variant_id": ["A", "B", "A"],
            "subject_line": ["Spring shoes", "{{first_name}}, your spring shoes?", "Hello"],
            "weight": ["0.5", "0.5", "1"]}),
        "messages": pl.DataFrame({
            "message_id": [s[0] for s in sends], "campaign_id": [s[1] for s in sends],
            "variant_id": [s[2] for s in sends], "customer_id": [s[3] for s in sends],
            "sent_at": ["2026-03-10T09:00:00Z"] * len(sends)}),
        "events": pl.DataFrame({
            "event_id": [e[0] for e in events], "type": [e[1] for e in events],
            "occurred_at": [e[2] for e in events], "message_id": [e[3] for e in events],
            "machine_open": ["false" if e[1] == "open" else None for e in events]}),
        "orders": orders,
        "behavior": pl.DataFrame({
            "event_id": ["b1", "b2"], "customer_id": ["u7", "u9"],
            "type": ["product_view", "product_view"],
            "occurred_at": ["2026-03-08T10:00:00Z", "2026-03-09T10:00:00Z"],
            "product_id": ["p4", "p6"]}),
    }


def load_shop(engine: Engine) -> Engine:
    for kind, frame in frames().items():
        report = load_frame(kind, frame, engine=engine, first_row=2)
        assert not getattr(report, "errors", None), (kind, report)
    return engine


def interactions() -> pl.DataFrame:
    """The shop's purchases (parsed from the orders) and views, as the recommender reads
    them, without a database."""
    from analytics.recommendations import order_items

    data = frames()
    orders = data["orders"].select(
        "order_id", "customer_id",
        pl.col("occurred_at").str.to_datetime(time_zone="UTC", time_unit="us"), "items")
    views = data["behavior"].select(
        "customer_id", "product_id", kind=pl.col("type"),
        occurred_at=pl.col("occurred_at").str.to_datetime(time_zone="UTC", time_unit="us"))
    return pl.concat([order_items(orders), views])
