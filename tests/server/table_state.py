"""A fingerprint of every table (row count and a checksum of the rows), to show that a
refused request changed nothing."""

from __future__ import annotations

import hashlib

from sqlalchemy import Engine, select
from sqlmodel import SQLModel

# Tables a refused request may touch by design: the audit log records refusals, and a
# key's last-used time is refreshed when it authenticates.
EXPECTED_TO_CHANGE = frozenset({"audit_event", "api_key"})


def table_state(engine: Engine) -> dict[str, tuple[int, str]]:
    state = {}
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in EXPECTED_TO_CHANGE:
                continue
            rows = sorted(repr(tuple(row)) for row in connection.execute(select(table)))
            state[table.name] = (len(rows), hashlib.sha256("\n".join(rows).encode())
                                 .hexdigest()[:16])
    return state
