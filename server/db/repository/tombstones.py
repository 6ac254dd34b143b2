"""Tombstones of erased customers: salted digests of their id, email and send ids, and
the check that keeps a later import from bringing them back.

The policy (see "Privacy" in the README): rows of an import that name an erased customer
(by id or email) or one of their sends are skipped and counted, never stored; the rest of
the file is stored as usual, so re-importing an old full export keeps working.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import Connection, insert, select, text

from server.db.models import ErasureTombstone, PrivacySalt
from server.db.repository.bulk import has_rows

_TOMBSTONE = ErasureTombstone.__table__  # type: ignore[attr-defined]
_SALT = PrivacySalt.__table__  # type: ignore[attr-defined]
_SALT_NAME = "tombstone"

# Which staged columns of each import kind hold which identifier.
CHECKED_COLUMNS: Mapping[str, tuple[tuple[str, str], ...]] = {
    "customers": (("customer_id", "customer"), ("email", "email")),
    "messages": (("customer_id", "customer"), ("message_id", "message")),
    "events": (("message_id", "message"), ("customer_id", "customer"), ("email", "email")),
    "orders": (("customer_id", "customer"),),
    "touchpoints": (("customer_id", "customer"),),
    "behavior": (("customer_id", "customer"),),
}
_CHUNK = 500


def _normal(kind: str, value: str) -> str:
    return value.strip().lower() if kind == "email" else value


def digest(salt: bytes, kind: str, value: str) -> str:
    """The keyed digest a tombstone keeps of ``value`` (emails compared case-blind)."""
    message = f"{kind}:{_normal(kind, value)}".encode()
    return hmac.new(salt, message, hashlib.sha256).hexdigest()


def salt(connection: Connection, *, create: bool = False) -> bytes | None:
    """The database's tombstone salt; made (in the caller's transaction) when ``create``."""
    value = connection.execute(select(_SALT.c.value).where(_SALT.c.name == _SALT_NAME)
                               ).scalar_one_or_none()
    if value is None and create:
        value = secrets.token_hex(32)
        connection.execute(insert(_SALT).values(name=_SALT_NAME, value=value))
    return None if value is None else bytes.fromhex(value)


def remember(connection: Connection, identifiers: Mapping[str, Iterable[str]]) -> int:
    """Add tombstones for ``identifiers`` (kind -> values) in the caller's transaction;
    returns how many were new."""
    key = salt(connection, create=True)
    assert key is not None
    wanted = {(kind, digest(key, kind, value)) for kind, values in identifiers.items()
              for value in values if value}
    ordered = sorted(wanted)
    known: set[tuple[str, str]] = set()
    for start in range(0, len(ordered), _CHUNK):
        chunk = [value for _, value in ordered[start:start + _CHUNK]]
        known.update((kind, found) for kind, found in connection.execute(
            select(_TOMBSTONE.c.kind, _TOMBSTONE.c.digest)
            .where(_TOMBSTONE.c.digest.in_(chunk))))
    rows = [{"kind": kind, "digest": value} for kind, value in sorted(wanted - known)]
    if rows:
        connection.execute(insert(_TOMBSTONE), rows)
    return len(rows)


def erased(connection: Connection, kind: str, values: Sequence[str]) -> set[str]:
    """The ``values`` (identifiers of ``kind``) that belong to erased customers."""
    if not values or not has_rows(connection, "erasure_tombstone"):
        return set()
    key = salt(connection)
    if key is None:
        return set()
    by_digest = {digest(key, kind, value): value for value in values}
    found: set[str] = set()
    digests = sorted(by_digest)
    for start in range(0, len(digests), _CHUNK):
        chunk = digests[start:start + _CHUNK]
        found.update(by_digest[row[0]] for row in connection.execute(
            select(_TOMBSTONE.c.digest).where(_TOMBSTONE.c.kind == kind,
                                              _TOMBSTONE.c.digest.in_(chunk))))
    return found


def drop_erased(connection: Connection, kind: str, stage: str,
                columns: Iterable[str]) -> int:
    """Delete the staged rows of ``kind`` that name an erased customer or send; returns
    how many were dropped. Cheap when nobody was ever erased (one row read)."""
    checks = [(column, identifier) for column, identifier in CHECKED_COLUMNS.get(kind, ())
              if column in set(columns)]
    if not checks or not has_rows(connection, "erasure_tombstone"):
        return 0
    dropped = 0
    for column, identifier in checks:
        values = [row[0] for row in connection.execute(text(
            # Safe SQL (S608): stage and column names come from the kind spec.
            f"SELECT DISTINCT {column} FROM {stage} WHERE {column} IS NOT NULL"))]  # noqa: S608
        gone = sorted(erased(connection, identifier, values))
        for start in range(0, len(gone), _CHUNK):
            chunk = gone[start:start + _CHUNK]
            names = {f"v{i}": value for i, value in enumerate(chunk)}
            marks = ", ".join(f":{name}" for name in names)
            if kind == "messages" and identifier == "customer":
                # A send to an erased customer (a provider webhook of a mail sent before
                # the erasure) is remembered too, so its events are skipped with it.
                remember(connection, {"message": [row[0] for row in connection.execute(text(
                    # Safe SQL (S608): stage and column names come from the kind spec.
                    f"SELECT message_id FROM {stage} WHERE {column} IN ({marks})"),  # noqa: S608
                    names)]})
            dropped += connection.execute(text(
                # Safe SQL (S608): stage and column names come from the kind spec; the
                # values are bound.
                f"DELETE FROM {stage} WHERE {column} IN ({marks})"), names).rowcount or 0  # noqa: S608
    return dropped
