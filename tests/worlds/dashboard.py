"""A hand-computed world for campaign analytics, loaded through ingestion.

c1 "Spring Sale" (promotional, subject 22 characters) is sent Monday 2026-03-02 09:00
UTC to u1-u6 (variant A: u1-u3, B: u4-u6); c2 "March News" (newsletter, subject 41
characters) on Tuesday 2026-03-10 14:00 UTC to u1-u4, u7, u8.

c1: u1 delivered, opened (iPhone), clicked, then ordered 40.00 a day later (click
    window); u2 delivered, opened only by a privacy proxy; u3 hard bounce; u4 delivered,
    opened (Windows), unsubscribed; u5 delivered, complained; u6 soft bounce.
    sent 6, delivered 4, bounced 2 (1 hard, 1 soft), unique opens 3 (2 human), clicks 1,
    unsubscribed 1, complained 1, conversions 1, revenue 40.00.
c2: u1 delivered, opened (Mac); u2 delivered; u3 delivered, opened and clicked (Android
    phone); u4 delivered; u7 delivered, opened and clicked (Outlook), ordered 25.00 the
    next day; u8 hard bounce.
    sent 6, delivered 5, bounced 1 (hard), unique opens 3 (3 human), clicks 2,
    conversions 1, revenue 25.00.
Orders with no email touch in their window: u5 100.00 on 2026-02-01 (before any send:
u5's value when c1 reached it), u1 10.00 on 2026-03-25.
Recipient value before the send: c1 100.00 (u5) over 6 sends; c2 40.00 (u1's c1 order)
over 6 sends.
Domains: gmail.com u1 u2 u6; yahoo.com u3 u4 u8; outlook.com u5 u7.
Segments: VIP = u1 u3 u5; New = u2 u3 (u3 in both).
"""

from __future__ import annotations

from sqlalchemy import Engine

from server.db.engine import session_scope
from server.db.models import Segment, SegmentMember
from server.ingest import load_frame, read_bytes

CUSTOMERS = """customer_id,email,first_name,country
u1,ana@gmail.com,Ana,ES
u2,bo@gmail.com,Bo,SE
u3,cy@yahoo.com,Cy,US
u4,di@yahoo.com,Di,US
u5,ed@outlook.com,Ed,GB
u6,flo@gmail.com,Flo,FR
u7,gus@outlook.com,Gus,DE
u8,hal@yahoo.com,Hal,US
"""
CAMPAIGNS = """campaign_id,name,subject_line,campaign_type,send_at
c1,Spring Sale,Spring sale starts now,promotional,2026-03-02T09:00:00Z
c2,March News,Everything new in March from our workshop,newsletter,2026-03-10T14:00:00Z
"""
VARIANTS = """campaign_id,variant_id,subject_line,weight
c1,A,Spring sale starts now,0.5
c1,B,Spring sale starts now,0.5
"""
MESSAGES = """message_id,campaign_id,variant_id,customer_id,sent_at
m11,c1,A,u1,2026-03-02T09:00:00Z
m12,c1,A,u2,2026-03-02T09:00:00Z
m13,c1,A,u3,2026-03-02T09:00:00Z
m14,c1,B,u4,2026-03-02T09:00:00Z
m15,c1,B,u5,2026-03-02T09:00:00Z
m16,c1,B,u6,2026-03-02T09:00:00Z
m21,c2,,u1,2026-03-10T14:00:00Z
m22,c2,,u2,2026-03-10T14:00:00Z
m23,c2,,u3,2026-03-10T14:00:00Z
m24,c2,,u4,2026-03-10T14:00:00Z
m27,c2,,u7,2026-03-10T14:00:00Z
m28,c2,,u8,2026-03-10T14:00:00Z
"""
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Mobile/15E148"
WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/130.0"
MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) Version/18.1 Safari"
ANDROID = "Mozilla/5.0 (Linux; Android 15; Pixel 9) Chrome/130.0 Mobile"
OUTLOOK = "Microsoft Outlook 16.0.18129"
EVENTS = f"""event_id,type,occurred_at,message_id,url,user_agent,machine_open,bounce_type
e01,delivered,2026-03-02T09:00:05Z,m11,,,,
e02,open,2026-03-02T10:00:00Z,m11,,{IPHONE},false,
e03,click,2026-03-02T10:05:00Z,m11,https://shop.example.com/sale,{IPHONE},,
e04,delivered,2026-03-02T09:00:05Z,m12,,,,
e05,open,2026-03-02T09:01:00Z,m12,,Mozilla/5.0,true,
e06,bounce,2026-03-02T09:00:03Z,m13,,,,hard
e07,delivered,2026-03-02T09:00:05Z,m14,,,,
e08,open,2026-03-02T18:00:00Z,m14,,{WINDOWS},false,
e09,unsubscribe,2026-03-02T18:01:00Z,m14,,,,
e10,delivered,2026-03-02T09:00:05Z,m15,,,,
e11,complaint,2026-03-03T08:00:00Z,m15,,,,
e12,bounce,2026-03-02T09:00:03Z,m16,,,,soft
e21,delivered,2026-03-10T14:00:05Z,m21,,,,
e22,open,2026-03-10T15:00:00Z,m21,,{MAC},false,
e23,delivered,2026-03-10T14:00:05Z,m22,,,,
e24,delivered,2026-03-10T14:00:05Z,m23,,,,
e25,open,2026-03-10T16:00:00Z,m23,,{ANDROID},false,
e26,click,2026-03-10T16:01:00Z,m23,https://shop.example.com/news,{ANDROID},,
e27,delivered,2026-03-10T14:00:05Z,m24,,,,
e28,delivered,2026-03-10T14:00:05Z,m27,,,,
e29,open,2026-03-10T17:00:00Z,m27,,{OUTLOOK},false,
e30,click,2026-03-10T17:02:00Z,m27,https://shop.example.com/news,{OUTLOOK},,
e31,bounce,2026-03-10T14:00:03Z,m28,,,,hard
"""
ORDERS = """order_id,customer_id,occurred_at,amount,currency
o1,u1,2026-03-03T10:00:00Z,40.00,USD
o2,u7,2026-03-11T09:00:00Z,25.00,USD
o3,u5,2026-02-01T12:00:00Z,100.00,USD
o4,u1,2026-03-25T12:00:00Z,10.00,USD
"""
WORLD = (("customers", CUSTOMERS), ("campaigns", CAMPAIGNS), ("variants", VARIANTS),
         ("messages", MESSAGES), ("events", EVENTS), ("orders", ORDERS))
SEGMENTS = {"s-vip": ("VIP", ["u1", "u3", "u5"]), "s-new": ("New", ["u2", "u3"])}


def load_world(engine: Engine) -> Engine:
    """Ingest the world, then add the segments (segments are not an import kind)."""
    for kind, content in WORLD:
        load_frame(kind, read_bytes(content.encode(), "csv"), engine=engine, first_row=2)
    with session_scope(engine) as session:
        for segment_id, (name, _) in SEGMENTS.items():
            session.add(Segment(segment_id=segment_id, name=name))
        session.flush()
        for segment_id, (_, members) in SEGMENTS.items():
            session.add_all(SegmentMember(segment_id=segment_id, customer_id=customer)
                            for customer in members)
    return engine
