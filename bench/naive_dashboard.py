"""The straightforward dashboard: every request reads the period's sends and their raw
events with pandas and recomputes the figures (what Mailscope avoids with rollups)."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

import pandas as pd

RATES = {"delivery_rate": ("delivered", "sent"), "bounce_rate": ("bounced", "sent"),
         "open_rate": ("unique_opens", "delivered"),
         "human_open_rate": ("human_unique_opens", "delivered"),
         "click_rate": ("unique_clicks", "delivered"),
         "click_to_open_rate": ("unique_clicks", "unique_opens"),
         "unsubscribe_rate": ("unsubscribed", "delivered"),
         "complaint_rate": ("complained", "delivered"),
         "conversion_rate": ("conversions", "delivered"),
         "revenue_per_email": ("revenue", "delivered")}
FLAGS = ["delivered", "bounced", "hard_bounced", "soft_bounced", "unique_opens",
         "human_unique_opens", "total_opens", "unique_clicks", "total_clicks", "unsubscribed",
         "complained", "conversions", "revenue"]


def _rates(frame: pd.DataFrame) -> pd.DataFrame:
    for name, (numerator, denominator) in RATES.items():
        frame[name] = frame[numerator] / frame[denominator].where(frame[denominator] > 0)
    return frame


def _per_message(messages: pd.DataFrame, events: pd.DataFrame,
                 orders: pd.DataFrame) -> pd.DataFrame:
    counts = events.groupby(["message_id", "type"]).size().unstack(fill_value=0)
    human = events[(events["type"] == "open") & (events["machine_open"] == 0)]
    hard = events[(events["type"] == "bounce") & (events["bounce_type"] == "hard")]
    frame = messages.set_index("message_id")
    for kind in ("delivered", "open", "click", "bounce", "unsubscribe", "complaint"):
        frame[kind] = counts[kind].reindex(frame.index, fill_value=0) if kind in counts \
            else 0
    frame["human"] = human.groupby("message_id").size().reindex(frame.index, fill_value=0)
    frame["hard"] = hard.groupby("message_id").size().reindex(frame.index, fill_value=0)
    sales = orders.groupby("message_id")["amount"].agg(["size", "sum"])
    frame["conversions"] = sales["size"].reindex(frame.index, fill_value=0)
    frame["revenue"] = sales["sum"].reindex(frame.index, fill_value=0.0)
    bounced = frame["bounce"] > 0
    return pd.DataFrame({
        "campaign_id": frame["campaign_id"], "email_domain": frame["email_domain"],
        "week": frame["week"], "sent": 1,
        "delivered": ((frame["delivered"] + frame["open"] + frame["click"]) > 0) & ~bounced,
        "bounced": bounced, "hard_bounced": bounced & (frame["hard"] > 0),
        "soft_bounced": bounced & (frame["hard"] == 0),
        "unique_opens": frame["open"] > 0, "human_unique_opens": frame["human"] > 0,
        "total_opens": frame["open"], "unique_clicks": frame["click"] > 0,
        "total_clicks": frame["click"], "unsubscribed": frame["unsubscribe"] > 0,
        "complained": frame["complaint"] > 0, "conversions": frame["conversions"],
        "revenue": frame["revenue"]})


def naive_dashboard(url: str, start: date, end: date) -> dict:
    """Summary, weekly trend, per-provider figures and the campaign ranking of the sends
    from ``start`` to ``end``, recomputed from the raw tables."""
    bounds = (f"{start} 00:00:00", f"{end + timedelta(days=1)} 00:00:00")
    with sqlite3.connect(url.split("///", 1)[1]) as connection:
        messages = pd.read_sql(
            "SELECT m.message_id, m.campaign_id, m.sent_at, c.email_domain FROM message m "
            "JOIN customer c ON c.customer_id = m.customer_id "
            "WHERE m.sent_at >= ? AND m.sent_at < ?", connection, params=bounds)
        events = pd.read_sql(
            "SELECT e.message_id, e.type, e.machine_open, e.bounce_type FROM email_event e "
            "JOIN message m ON m.message_id = e.message_id "
            "WHERE m.sent_at >= ? AND m.sent_at < ?", connection, params=bounds)
        orders = pd.read_sql(
            "SELECT o.attributed_message_id AS message_id, o.amount FROM orders o "
            "JOIN message m ON m.message_id = o.attributed_message_id "
            "WHERE m.sent_at >= ? AND m.sent_at < ?", connection, params=bounds)
        campaigns = pd.read_sql("SELECT campaign_id, name, campaign_type FROM campaign",
                                connection)
    sent_at = pd.to_datetime(messages["sent_at"])
    messages["week"] = (sent_at - pd.to_timedelta(sent_at.dt.weekday, unit="D")).dt.date
    per_message = _per_message(messages, events, orders)
    columns = ["sent", *FLAGS]
    summary = _rates(per_message[columns].sum().to_frame().T.astype(float))
    trend = _rates(per_message.groupby("week")[columns].sum().astype(float))
    providers = _rates(per_message.groupby("email_domain")[columns].sum().astype(float))
    per_campaign = _rates(per_message.groupby("campaign_id")[columns].sum().astype(float))
    ranked = per_campaign[per_campaign["delivered"] >= 100].join(
        campaigns.set_index("campaign_id")).sort_values("conversion_rate")
    return {"events": len(events), "sent": int(summary["sent"].iloc[0]),
            "summary": summary, "trend": trend, "providers": providers,
            "best": ranked.tail(5), "worst": ranked.head(5)}
