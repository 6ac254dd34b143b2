"""A literal A/B world loaded through ingestion, shared by the experiment tests.

Campaign ``ab`` (A/B, 50/50, sent 2026-03-01 09:00 UTC); day d is [09:00 + d days,
09:00 + d + 1 days):

- A: m1 opened and clicked on day 0, bought 40.00 on day 1; m2 opened on day 1; m3 was
  opened only by a privacy proxy (not a human open); m4 unsubscribed on day 2; m5 was
  delivered only.
- B: m6 opened and clicked on day 0, bought 25.00 on day 0 and 10.00 on day 2; m7
  opened on day 0 and clicked on day 1; m8 opened and clicked on day 2 and bought 60.00
  on day 3; m9 was delivered late (day 1) and complained on day 1; m10 hard-bounced.

Campaign ``srm`` plans a 95/5 split but delivered 4/4: a sample ratio mismatch.
Campaign ``solo`` has no variants: not an experiment.
Campaign ``win`` (generated rows, sent 2026-04-01): 100 delivered per variant, 5 clicks
for A and 30 for B on the send day, a clear winner.
"""

from __future__ import annotations

from sqlalchemy import Engine

from tests.server.ingest.conftest import load_csv

CUSTOMERS = "customer_id,email\n" + "".join(
    f"{c},{c}@example.com\n" for c in [f"u{i}" for i in range(1, 11)]
    + [f"v{i}" for i in range(1, 9)])
CAMPAIGNS = """campaign_id,name,subject_line,send_at
ab,Spring Sale,Spring is here,2026-03-01T09:00:00Z
srm,Broken Split,Hello,2026-03-10T09:00:00Z
solo,Newsletter,News,2026-03-20T09:00:00Z
"""
VARIANTS = """campaign_id,variant_id,subject_line,weight
ab,A,Spring is here,0.5
ab,B,Spring sale: 20% off,0.5
srm,A,Hello,0.95
srm,B,Hi there,0.05
"""
MESSAGES = "message_id,campaign_id,variant_id,customer_id,sent_at\n" + "".join(
    f"m{i},ab,{'A' if i <= 5 else 'B'},u{i},2026-03-01T09:00:00Z\n" for i in range(1, 11)
) + "".join(
    f"s{i},srm,{'A' if i <= 4 else 'B'},v{i},2026-03-10T09:00:00Z\n" for i in range(1, 9)
) + "n1,solo,,u1,2026-03-20T09:00:00Z\n"
EVENTS = """event_id,type,occurred_at,message_id,machine_open,bounce_type
e1,delivered,2026-03-01T09:00:05Z,m1,,
e2,open,2026-03-01T09:30:00Z,m1,false,
e3,click,2026-03-01T09:35:00Z,m1,,
e4,delivered,2026-03-01T09:00:05Z,m2,,
e5,open,2026-03-02T10:00:00Z,m2,false,
e6,delivered,2026-03-01T09:00:05Z,m3,,
e7,open,2026-03-01T09:05:00Z,m3,true,
e8,delivered,2026-03-01T09:00:05Z,m4,,
e9,unsubscribe,2026-03-03T10:00:00Z,m4,,
e10,delivered,2026-03-01T09:00:05Z,m5,,
e11,delivered,2026-03-01T09:00:05Z,m6,,
e12,open,2026-03-01T09:20:00Z,m6,false,
e13,click,2026-03-01T09:30:00Z,m6,,
e14,delivered,2026-03-01T09:00:05Z,m7,,
e15,open,2026-03-01T20:00:00Z,m7,false,
e16,click,2026-03-02T11:00:00Z,m7,,
e17,delivered,2026-03-01T09:00:05Z,m8,,
e18,open,2026-03-03T09:30:00Z,m8,false,
e19,click,2026-03-03T09:45:00Z,m8,,
e20,delivered,2026-03-02T10:00:00Z,m9,,
e21,complaint,2026-03-02T12:00:00Z,m9,,
e22,bounce,2026-03-01T09:00:03Z,m10,,hard
""" + "".join(
    f"f{i},delivered,2026-03-10T09:01:00Z,s{i},,\n" for i in range(1, 9)
) + """f9,click,2026-03-10T10:00:00Z,s1,,
f10,click,2026-03-10T10:00:00Z,s5,,
g1,delivered,2026-03-20T09:00:10Z,n1,,
"""
ORDERS = """order_id,customer_id,occurred_at,amount,currency
o1,u1,2026-03-02T12:00:00Z,40.00,USD
o2,u6,2026-03-01T15:00:00Z,25.00,USD
o3,u6,2026-03-03T12:00:00Z,10.00,USD
o4,u8,2026-03-04T10:00:00Z,60.00,USD
"""

WIN_CLICKS = {"A": 5, "B": 30}
CUSTOMERS += "".join(f"w{i},w{i}@example.com\n" for i in range(200))
CAMPAIGNS += "win,Clear Winner,Sale,2026-04-01T09:00:00Z\n"
VARIANTS += "win,A,Sale,1\nwin,B,Big sale,1\n"
MESSAGES += "".join(f"w{i},win,{'AB'[i // 100]},w{i},2026-04-01T09:00:00Z\n"
                    for i in range(200))
EVENTS += "".join(f"wd{i},delivered,2026-04-01T09:00:10Z,w{i},,\n" for i in range(200))
EVENTS += "".join(f"wc{i},click,2026-04-01T12:00:00Z,w{i},,\n"
                  for i in range(200) if i % 100 < WIN_CLICKS["AB"[i // 100]])

WORLD = (("customers", CUSTOMERS), ("campaigns", CAMPAIGNS), ("variants", VARIANTS),
         ("messages", MESSAGES), ("events", EVENTS), ("orders", ORDERS))


def load_experiment_world(engine: Engine) -> Engine:
    for kind, content in WORLD:
        load_csv(kind, content, engine)
    return engine
