"""Addresses hashed at rest: with hashing on no plain address is stored anywhere, every
lookup by address still finds its customer, and ``hash_emails`` converts an existing
database idempotently and all-or-nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session, select

from schema.customers.inputs import CustomerFilter
from schema.customers.queries import customer_conditions
from server.db import models
from server.db.emails import hash_email
from server.db.repository import email_hashing as state
from server.db.repository.audit import audit
from server.db.repository.webhooks import store_delivery
from server.ingest import load_frame
from server.runners import email_hashing, privacy
from server.runners import webhooks as runner
from server.settings import Settings, configure
from server.webhooks import TagKeys, get_provider
from tests.schema.conftest import ADMIN, data_of
from tests.server.ingest.conftest import csv_frame
from tests.server.table_state import table_state
from tests.server.webhooks.support import sample, sample_names

KEY = "k" * 40
CUSTOMERS = """customer_id,email,first_name
u1,Ana@Example.com,Ana
u2,bo@gmail.com,Bo
u3,cy@outlook.com,Cy
"""
CAMPAIGNS = "campaign_id,name\nc1,Spring\n"
MESSAGES = """message_id,campaign_id,customer_id,sent_at
m1,c1,u1,2026-03-01T09:00:00Z
m2,c1,u2,2026-03-01T09:00:00Z
"""
# e2 names its send by campaign and address (in another case than the import's).
EVENTS = """event_id,type,occurred_at,message_id,campaign_id,email
e1,open,2026-03-01T10:00:00Z,m1,,
e2,click,2026-03-01T11:00:00Z,,c1,ANA@example.com
"""
# Every address the world holds, in the case each was given in.
ADDRESSES = ("ana@example.com", "bo@gmail.com", "cy@outlook.com", "example@test.com",
             "dee@example.org", "recipient@example.com", "zed@example.net")


def _sendgrid(email: str, event_id: str, event: str = "open") -> bytes:
    [record] = json.loads(sample("sendgrid", "click"))
    return json.dumps([record | {"email": email, "sg_event_id": event_id,
                                 "event": event}]).encode()


def _fold(engine: Engine, settings: Settings, body: bytes) -> runner.Folded:
    delivery_id, _ = store_delivery(engine=engine, provider="sendgrid", body=body)
    return runner.fold(engine, settings, delivery_id)


def _load_world(engine: Engine, settings: Settings) -> None:
    for kind, content in (("customers", CUSTOMERS), ("campaigns", CAMPAIGNS),
                          ("messages", MESSAGES), ("events", EVENTS)):
        load_frame(kind, csv_frame(content), engine=engine)
    # A recipient nobody imported (webhooks make the customer and the send) and one
    # of an imported customer; a kept event whose payload names an address.
    _fold(engine, settings, sample("sendgrid", "click"))
    _fold(engine, settings, _sendgrid("Bo@Gmail.com", "ev-bo"))
    _fold(engine, settings, json.dumps([{"event": "strange", "email": "dee@example.org",
                                         "timestamp": 1, "sg_event_id": "q1",
                                         "sg_message_id": "x1"}]).encode())


def plain_addresses(engine: Engine) -> list[tuple[str, str, str]]:
    """(table, column, value) of every text value of every table that holds an address
    of the world, in any case: the strong check that nothing is stored in plain."""
    found = []
    with engine.connect() as connection:
        for name in inspect(connection).get_table_names():
            rows = connection.execute(text(f'SELECT * FROM "{name}"'))  # noqa: S608
            for row in rows:
                for column, value in row._mapping.items():
                    if isinstance(value, str) and any(
                            address in value.lower() for address in ADDRESSES):
                        found.append((name, column, value))
    return found


def _rows(engine: Engine, sql: str) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


@pytest.fixture
def hashed(settings: Settings) -> Iterator[Settings]:
    yield configure(**(settings.model_dump() | {"email_hashing": True,
                                                "email_hash_key": KEY}))
    configure()


def test_with_hashing_on_no_address_is_stored_and_lookups_still_match(
        hashed: Settings, db: Engine) -> None:
    state.check_engine(db, hashed)  # an empty database: the key is remembered
    _load_world(db, hashed)
    assert plain_addresses(db) == []
    ana = hash_email("ana@example.com", hashed)
    assert _rows(db, "SELECT customer_id, email, email_domain FROM customer "
                     "ORDER BY customer_id") == [
        (hash_email("example@test.com", hashed), hash_email("example@test.com", hashed),
         "test.com"),
        ("u1", ana, "example.com"), ("u2", hash_email("bo@gmail.com", hashed), "gmail.com"),
        ("u3", hash_email("cy@outlook.com", hashed), "outlook.com")]
    # The event named by address found u1's send; the webhook found u2 by address.
    assert _rows(db, "SELECT click_count FROM message WHERE message_id = 'm1'") == [(1,)]
    assert _rows(db, "SELECT count(*) FROM message WHERE customer_id = 'u2'") == [(2,)]
    # Replays change nothing: the same customers, and the same webhook event again.
    again = load_frame("customers", csv_frame(CUSTOMERS.replace("Ana@", " ana@")),
                       engine=db)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    assert _fold(db, hashed, _sendgrid("bo@gmail.com", "ev-bo")).stored == 0
    # Search by the whole address, in any case; a part of it cannot match a hash.
    with Session(db) as session:
        def search(term: str) -> list[str]:
            query = select(models.Customer).where(
                *customer_conditions(CustomerFilter(search=term)))
            return [row.customer_id for row in session.exec(query)]
        assert search(" ANA@example.com") == ["u1"]
        assert search("example.com") == []
        assert search("Bo") == ["u2"]  # names still match in part
    # Erasure by id waits for every unfolded delivery (any may name them by address),
    # then the address is recognised by its tombstone.
    waiting, _ = store_delivery(engine=db, provider="sendgrid",
                                body=_sendgrid("zed@example.net", "ev-z"))
    with pytest.raises(privacy.ErasureRefused,
                       match=r"1 webhook deliveries that may name \(addresses are hashed\) "
                             "customer 'u2' are still waiting to be folded"):
        privacy.erase(db, "u2")
    runner.fold(db, hashed, waiting)
    privacy.erase(db, "u2")
    report = load_frame("customers", csv_frame("customer_id,email\nu9,BO@gmail.com\n"),
                        engine=db)
    assert (report.inserted, report.erased) == (0, 1)
    assert _fold(db, hashed, _sendgrid("bo@gmail.com", "ev-bo-2", "click")).stored == 0
    assert plain_addresses(db) == []


def test_conversion_hashes_everything_once_and_later_lookups_match(
        settings: Settings, db: Engine) -> None:
    _load_world(db, settings)
    # SES event ids name the recipient; one event's id is made without a provider id.
    delivery_id, _ = store_delivery(engine=db, provider="ses", body=sample("ses", "open"))
    runner.fold(db, settings, delivery_id)
    _fold(db, settings, json.dumps([{"event": "open", "email": "cy@outlook.com",
                                     "timestamp": 5, "sg_message_id": "sg-cy"}]).encode())
    # A GraphQL write recorded its arguments before hashing was on.
    audit(engine=db, actor="admin key", action="graphql.createCustomer",
          detail={"input": {"id": "u3", "email": "cy@outlook.com"}})
    # Ids webhooks made from an address are in the profile and the event ledger too.
    assert {row[0] for row in plain_addresses(db)} == {
        "customer", "customer_profile", "message", "email_event", "webhook_delivery",
        "webhook_quarantine", "audit_event"}
    on = configure(**(settings.model_dump() | {"email_hashing": True, "email_hash_key": KEY}))
    with pytest.raises(state.HashingMismatch,
                       match="5 customer addresses are still stored in plain: run "
                             "`mailscope privacy hash-emails` first"):
        state.check_engine(db, on)
    done: list[tuple[int, int]] = []
    converted = email_hashing.hash_emails(db, on, lambda *step: done.append(step))
    assert (converted.customers, converted.customer_ids, converted.message_ids,
            converted.deliveries, converted.records) == (5, 2, 6, 5, 2)
    assert done == [(5, 5)]
    assert plain_addresses(db) == []
    state.check_engine(db, on)
    before = table_state(db)
    assert email_hashing.hash_emails(db, on).summary() == (
        "nothing to convert: every stored address is already hashed")
    assert table_state(db) == before
    # Replays match the renamed event ids: nothing counts twice.
    replay, _ = store_delivery(engine=db, provider="ses", body=sample("ses", "open"))
    assert runner.fold(db, on, replay).stored == 0
    assert _fold(db, on, json.dumps([{"event": "open", "email": "cy@outlook.com",
                                      "timestamp": 5, "sg_message_id": "sg-cy"}]).encode()
                 ).stored == 0
    # A later event of the webhook-made send lands on the same send and customer.
    assert _fold(db, on, _sendgrid("example@test.com", "ev-later")).stored == 1
    assert _rows(db, "SELECT count(*), sum(open_count) FROM message") == [(6, 5)]
    assert _rows(db, "SELECT count(*) FROM customer") == [(5,)]
    # Events by address still match their send.
    load_frame("events", csv_frame(
        "event_id,type,occurred_at,campaign_id,email\n"
        "e3,open,2026-03-02T10:00:00Z,c1,BO@gmail.com\n"), engine=db)
    assert _rows(db, "SELECT open_count FROM message WHERE message_id = 'm2'") == [(1,)]
    assert plain_addresses(db) == []
    with pytest.raises(state.HashingMismatch, match="hashing cannot be reversed"):
        state.check_engine(db, settings)
    other = configure(**(settings.model_dump() | {"email_hashing": True,
                                                   "email_hash_key": "z" * 40}))
    with pytest.raises(state.HashingMismatch, match="not the key this database"):
        state.check_engine(db, other)
    configure()


def test_a_failure_mid_conversion_changes_nothing(settings: Settings, db: Engine,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    _load_world(db, settings)
    before = table_state(db)
    on = configure(**(settings.model_dump() | {"email_hashing": True, "email_hash_key": KEY}))

    def broken(*args: object) -> tuple[int, int]:
        raise RuntimeError("disk full")

    # After the addresses and ids were rewritten, before the inbox is.
    monkeypatch.setattr(email_hashing, "_redact_copies", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        email_hashing.hash_emails(db, on)
    assert table_state(db) == before
    configure()


def test_addresses_equal_once_normalised_are_refused(settings: Settings, db: Engine) -> None:
    # Imports lower-case addresses; a row written by hand (or by an old version) may not.
    load_frame("customers", csv_frame("customer_id,email\nu1,ana@example.com\n"), engine=db)
    with db.begin() as connection:
        connection.execute(text("INSERT INTO customer (customer_id, email, email_domain) "
                                "VALUES ('u2', 'Ana@Example.com', 'example.com')"))
    before = table_state(db)
    on = configure(**(settings.model_dump() | {"email_hashing": True, "email_hash_key": KEY}))
    with pytest.raises(email_hashing.ConversionRefused,
                       match="customers 'u1' and 'u2' have the same address"):
        email_hashing.hash_emails(db, on)
    assert table_state(db) == before
    off = configure(**settings.model_dump())
    with pytest.raises(email_hashing.ConversionRefused, match="MAILSCOPE_EMAIL_HASHING=on"):
        email_hashing.hash_emails(db, off)
    configure()


WRITE = """mutation ($input: CustomerInput!) { createCustomer(input: $input) {
  __typename ... on Customer { id email emailDomain } } }"""
UPDATE = """mutation ($id: ID!, $patch: CustomerPatch!) { updateCustomer(id: $id, patch: $patch) {
  __typename ... on Customer { firstName email emailDomain }
  ... on ValidationErrors { message errors { column message } } } }"""
SEARCH = """query ($q: String) { customers(search: $q) { edges { node { id email } } } }"""


async def test_graphql_shows_the_hash_and_finds_by_the_whole_address(
        hashed: Settings, db: Engine) -> None:
    ana = hash_email("ana@example.com", hashed)
    created = await data_of(db, WRITE, {"input": {"id": "u1", "email": "Ana@Example.com"}},
                            user=ADMIN)
    assert created["createCustomer"] == {"__typename": "Customer", "id": "u1", "email": ana,
                                         "emailDomain": "example.com"}
    refused = await data_of(db, UPDATE, {"id": "u1", "patch": {"firstName": "Ana"}},
                            user=ADMIN)
    assert refused["updateCustomer"]["errors"] == [{"column": "email", "message": (
        "addresses are stored hashed (MAILSCOPE_EMAIL_HASHING), so a change needs the "
        "customer's address again: give email too")}]
    changed = await data_of(db, UPDATE, {"id": "u1", "patch": {
        "firstName": "Ana", "email": "ana@example.com"}}, user=ADMIN)
    assert changed["updateCustomer"] == {"__typename": "Customer", "firstName": "Ana",
                                         "email": ana, "emailDomain": "example.com"}
    found = await data_of(db, SEARCH, {"q": "ANA@example.com"})
    assert found["customers"]["edges"] == [{"node": {"id": "u1", "email": ana}}]
    assert (await data_of(db, SEARCH, {"q": "ana@"}))["customers"]["edges"] == []
    assert plain_addresses(db) == []


@pytest.mark.parametrize("provider", ["sendgrid", "mailgun", "postmark", "ses"])
def test_every_provider_sample_folds_without_keeping_an_address(
        provider: str, hashed: Settings, db: Engine) -> None:
    bodies = [sample(provider, name) for name in sample_names(provider)]
    addresses = {event.email.lower() for body in bodies
                 for event in get_provider(provider).parse(body, TagKeys()).events
                 if "@" in event.email}
    assert addresses  # every provider names recipients by address
    for body in bodies:
        delivery_id, _ = store_delivery(engine=db, provider=provider, body=body)
        runner.fold(db, hashed, delivery_id)
    assert _rows(db, "SELECT count(*) FROM message")[0][0] > 0
    with db.connect() as connection:
        values = [str(value).lower() for name in inspect(connection).get_table_names()
                  for row in connection.execute(text(f'SELECT * FROM "{name}"'))  # noqa: S608
                  for value in row if isinstance(value, str)]
    assert [value for value in values if any(a in value for a in addresses)] == []
