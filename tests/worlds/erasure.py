"""The dashboard world with one customer erased, and the same world as it would be had
that customer never existed (their rows left out of every file and segment)."""

from __future__ import annotations

from sqlalchemy import Engine

from server.db.engine import session_scope
from server.db.models import Segment, SegmentMember
from server.ingest import load_frame, read_bytes
from tests.worlds import dashboard

# u1: two sends (c1 variant A, c2) with opens and a click, two orders (one attributed to
# c1), a member of the VIP segment.
ERASED = "u1"
ERASED_EMAIL = "ana@gmail.com"
ERASED_MESSAGES = ("m11", "m21")


def _without(content: str) -> str:
    lines = content.splitlines(keepends=True)
    return "".join(line for line in lines
                   if f",{ERASED}," not in line and not line.startswith(f"{ERASED},")
                   and not any(f",{message}," in line for message in ERASED_MESSAGES))


def load_world_without(engine: Engine) -> Engine:
    """The dashboard world as if the erased customer had never been a customer."""
    for kind, content in dashboard.WORLD:
        load_frame(kind, read_bytes(_without(content).encode(), "csv"), engine=engine,
                   first_row=2)
    with session_scope(engine) as session:
        for segment_id, (name, _) in dashboard.SEGMENTS.items():
            session.add(Segment(segment_id=segment_id, name=name))
        session.flush()
        for segment_id, (_, members) in dashboard.SEGMENTS.items():
            session.add_all(SegmentMember(segment_id=segment_id, customer_id=customer)
                            for customer in members if customer != ERASED)
    return engine
