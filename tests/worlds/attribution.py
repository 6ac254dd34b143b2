"""The ingestion tests' literal world plus touchpoints and spend, for the attribution tests.

Touches with the default email kinds (open, click) and a 30-day lookback:

u1  Feb 28 10:00 paid "ps-brand"   }
    Mar 1 09:01 email open  c1       } order o1 Mar 2 12:01 (40.00) -> [paid, email, email]
    Mar 1 12:01 email click c1       }
    Mar 4 email touchpoint           -> left out: sends already hold email touches
    Mar 5 10:00 web                  -> order o2 Mar 8 08:00 (15.50) -> [web]
    Mar 8 09:00 email delivered c2   -> counts only with DELIVERED: o4 Mar 8 12:00 (20.00)
                                        has no touch otherwise
u2  Mar 2 08:00 email open c1, Mar 3 10:00 sms "sms-weekly" -> no order: [email, sms]
u3  Mar 2 09:00 social               -> order o3 Mar 3 10:00 (99.99) -> [social]
    Mar 20 web                       -> no order after it: [web]

Orders: 4 (175.49); with a touch: 3 (155.49). Spend in March: paid 100, social 50,
email 10 (campaign c1); paid 999 in April.
"""

from __future__ import annotations

from sqlalchemy import Engine

from tests.server.ingest.conftest import load_csv, load_world

TOUCHPOINTS = """touchpoint_id,customer_id,channel,campaign_id,occurred_at
t1,u1,paid,ps-brand,2026-02-28T10:00:00Z
t2,u1,web,,2026-03-05T10:00:00Z
t3,u3,social,,2026-03-02T09:00:00Z
t4,u2,sms,sms-weekly,2026-03-03T10:00:00Z
t5,u1,email,,2026-03-04T10:00:00Z
t6,u3,web,,2026-03-20T10:00:00Z
"""
SPEND = """spend_id,incurred_on,category,cost_type,amount,currency,vendor,campaign_id
s1,2026-03-01,paid,media,100.00,USD,Search,
s2,2026-03-02,social,media,50.00,USD,Social,
s3,2026-03-01,email,esp,10.00,USD,ESP,c1
s4,2026-04-01,paid,media,999.00,USD,Search,
"""
MARCH = {"from": "2026-03-01T00:00:00Z", "to": "2026-04-01T00:00:00Z"}


def load_attribution_world(engine: Engine) -> Engine:
    load_world(engine)
    load_csv("touchpoints", TOUCHPOINTS, engine)
    load_csv("spend", SPEND, engine)
    return engine
