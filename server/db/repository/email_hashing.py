"""The state of address hashing in a database: which key hashed it, how many addresses
are still plain, and the start-up check that refuses a setting that does not match.

The key's fingerprint is kept as a ``privacy_salt`` row once addresses are hashed, so a
process started with hashing off, or with another key, is refused instead of storing
plain addresses beside hashes or hashes nobody can match.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Connection, Engine, bindparam, insert, inspect, select, text
from sqlmodel import SQLModel

from server.db.emails import PREFIX, key_fingerprint
from server.db.models import Message, PrivacySalt
from server.settings import Settings

_SALT = PrivacySalt.__table__  # type: ignore[attr-defined]
_MESSAGE = Message.__table__  # type: ignore[attr-defined]
MARKER = "email_hash_key"
COMMAND = "mailscope privacy hash-emails"


class HashingMismatch(Exception):
    """The settings do not match how the database stores addresses; the message says
    what to do."""


def marker(connection: Connection) -> str | None:
    """The fingerprint of the key the database's addresses were hashed with, if any."""
    return connection.execute(select(_SALT.c.value).where(_SALT.c.name == MARKER)
                              ).scalar_one_or_none()


def set_marker(connection: Connection, settings: Settings) -> None:
    if marker(connection) is None:
        connection.execute(insert(_SALT).values(name=MARKER,
                                                value=key_fingerprint(settings)))


def plain_count(connection: Connection) -> int:
    """Customers whose address is stored in plain (an address has an ``@``, a hash none)."""
    return int(connection.execute(text(
        "SELECT count(*) FROM customer WHERE email LIKE '%@%'")).scalar_one())


def hashed_count(connection: Connection) -> int:
    return int(connection.execute(text(
        "SELECT count(*) FROM customer WHERE email LIKE :prefix"),
        {"prefix": PREFIX + "%"}).scalar_one())


def _any_hashed(connection: Connection) -> bool:
    return connection.execute(text(
        "SELECT 1 FROM customer WHERE email LIKE :prefix LIMIT 1"),
        {"prefix": PREFIX + "%"}).first() is not None


def check(connection: Connection, settings: Settings) -> None:
    """Raise ``HashingMismatch`` unless the settings match the stored addresses; with
    hashing on and nothing plain left, remember the key (in the caller's transaction)."""
    found = marker(connection)
    if not settings.email_hashing:
        if found is not None or _any_hashed(connection):
            raise HashingMismatch(
                "this database stores customer addresses as keyed hashes, but "
                "MAILSCOPE_EMAIL_HASHING is off; hashing cannot be reversed (the addresses "
                "are not kept): set MAILSCOPE_EMAIL_HASHING=on with the same "
                "MAILSCOPE_EMAIL_HASH_KEY")
        return
    if found is not None and found != key_fingerprint(settings):
        raise HashingMismatch(
            "MAILSCOPE_EMAIL_HASH_KEY is not the key this database's addresses were "
            "hashed with (key rotation is not supported): set the original key")
    plain = plain_count(connection)
    if plain:
        raise HashingMismatch(
            f"MAILSCOPE_EMAIL_HASHING is on but {plain:,} customer addresses are still "
            f"stored in plain: run `{COMMAND}` first (it converts them in one transaction)")
    set_marker(connection, settings)


def check_engine(engine: Engine, settings: Settings) -> None:
    """``check`` in its own transaction; a database without tables yet passes."""
    if not inspect(engine).has_table("customer"):
        return
    with engine.begin() as connection:
        check(connection, settings)


def rename(connection: Connection, column: str, renames: Mapping[str, str],
           tables: Sequence[str] | None = None) -> int:
    """Replace values of ``column`` (``old -> new``) in every table that has the column
    (or in ``tables``), one statement per table through a temporary map; how many rows
    changed."""
    if not renames:
        return 0
    connection.execute(text("CREATE TEMPORARY TABLE rename_map "
                            "(old VARCHAR(128) PRIMARY KEY, new VARCHAR(128) NOT NULL)"))
    connection.execute(text("INSERT INTO rename_map (old, new) VALUES (:old, :new)"),
                       [{"old": old, "new": new} for old, new in renames.items()])
    changed = 0
    for name, table in sorted(SQLModel.metadata.tables.items()):
        if (tables is not None and name not in tables) or column not in table.columns:
            continue
        changed += connection.execute(text(
            # Safe SQL (S608): table and column names come from the metadata.
            f"UPDATE {name} SET {column} = (SELECT new FROM rename_map "  # noqa: S608
            f"WHERE old = {name}.{column}) WHERE {column} IN (SELECT old FROM rename_map)")
            ).rowcount or 0
    connection.execute(text("DROP TABLE rename_map"))
    return changed


def set_emails(connection: Connection, emails: Mapping[str, str]) -> None:
    """Store ``customer_id -> email`` in one statement run for many rows."""
    if emails:
        connection.execute(text(
            "UPDATE customer SET email = :email WHERE customer_id = :customer"),
            [{"customer": customer, "email": email} for customer, email in emails.items()])


def plain_customers(connection: Connection) -> list[tuple[str, str]]:
    """(customer_id, email) of every customer whose address is stored in plain."""
    return [(str(row[0]), str(row[1])) for row in connection.execute(text(
        "SELECT customer_id, email FROM customer WHERE email LIKE '%@%' "
        "ORDER BY customer_id"))]


def hashed_emails(connection: Connection) -> dict[str, str]:
    """Stored hash -> customer id of the customers already hashed."""
    return {str(row[0]): str(row[1]) for row in connection.execute(text(
        "SELECT email, customer_id FROM customer WHERE email LIKE :prefix"),
        {"prefix": PREFIX + "%"})}


def messages_of(connection: Connection, customer_ids: Sequence[str]) -> list[tuple[str, str]]:
    """(message_id, customer_id) of the sends of ``customer_ids``."""
    found: list[tuple[str, str]] = []
    for start in range(0, len(customer_ids), 500):
        chunk = list(customer_ids[start:start + 500])
        found.extend((str(row[0]), str(row[1])) for row in connection.execute(
            select(_MESSAGE.c.message_id, _MESSAGE.c.customer_id)
            .where(_MESSAGE.c.customer_id.in_(chunk))))
    return found


def customer_ids(connection: Connection, wanted: Sequence[str]) -> list[str]:
    """The ``wanted`` customer ids that exist."""
    found: list[str] = []
    for start in range(0, len(wanted), 500):
        chunk = list(wanted[start:start + 500])
        found.extend(str(row[0]) for row in connection.execute(text(
            "SELECT customer_id FROM customer WHERE customer_id IN :ids").bindparams(
                bindparam("ids", expanding=True)), {"ids": chunk}))
    return found
