"""Trigger evaluation on both databases: a cart-abandonment scenario replayed up to 40
times in shuffled batches fires once per abandoned cart; cooldown, maximum, pause and
profile rules are honoured and logged with their reason."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from sqlalchemy import Engine, bindparam, text
from sqlmodel import Session, col, select

from server.db.models import JobRun
from server.db.repository.segments import apply_changes, current_members
from server.db.repository.triggers import ensure_static_segment, update_trigger
from server.db.types import UTCDateTime
from server.ingest.load import load_frame
from server.runners import triggers
from server.settings import Settings, configure

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
END = T0 + timedelta(hours=6)
CART = json.dumps({"sequence": {"first": "cart_add", "then": "checkout", "absent": True,
                                "within": "2h", "key": "cart_id"}})


def event(event_id: str, customer: str, kind: str, minutes: int,
          cart: str | None) -> dict[str, object]:
    return {"event_id": event_id, "customer_id": customer, "type": kind,
            "occurred_at": (T0 + timedelta(minutes=minutes)).isoformat(),
            "product_id": None,
            "properties": None if cart is None else json.dumps({"cart_id": cart})}


# u1 checks out in time; u2's c2 and u3's c3 are abandoned; u3's c4 closes with a checkout
# naming no cart at minute 40, so only c3 (added at 50) stays open.
SCENARIO = [
    event("e1", "u1", "cart_add", 0, "c1"), event("e2", "u1", "checkout", 60, "c1"),
    event("e3", "u2", "cart_add", 5, "c2"), event("e4", "u2", "cart_add", 20, "c2"),
    event("e5", "u2", "checkout", 200, "c2"),
    event("e6", "u3", "cart_add", 30, "c4"), event("e7", "u3", "checkout", 40, None),
    event("e8", "u3", "cart_add", 50, "c3"),
]


def ingest(engine: Engine, rows: list[dict[str, object]]) -> None:
    load_frame("behavior", pl.DataFrame(rows, schema={name: pl.String for name in rows[0]}),
               engine=engine)


def make(engine: Engine, **kwargs: object) -> int:
    created = triggers.create_trigger(engine, name="Cart", **kwargs)  # type: ignore[arg-type]
    trigger_id = created.trigger.id or 0
    # Created before the scenario, so its occasions are the trigger's to decide.
    with Session(engine) as session:
        update_trigger(session=session, trigger_id=trigger_id,
                       values={"created_at": T0 - timedelta(days=1)})
        session.commit()
    return trigger_id


def log(engine: Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(
            "SELECT customer_id, occasion_key, status FROM trigger_firing "
            "ORDER BY customer_id, occasion_key"))]


def test_replayed_shuffled_events_fire_once_per_cart(settings: Settings,
                                                     engine: Engine) -> None:
    trigger_id = make(engine, definition=CART)
    shuffle = random.Random(10)
    for _ in range(40):
        rows = SCENARIO * shuffle.randint(1, 3)
        shuffle.shuffle(rows)
        cut = shuffle.randint(1, len(rows))
        for batch in (rows[:cut], rows[cut:]):
            if batch:
                ingest(engine, list({row["event_id"]: row for row in batch}.values()))
                # Evaluated on arrival, before any deadline: nothing is due yet.
                assert triggers.evaluate(engine, as_of=T0 + timedelta(minutes=100),
                                         deliver=False).decided == {}
        result = triggers.evaluate(engine, as_of=END, deliver=False)
        assert sum(result.decided.values()) in (0, 2)
    assert log(engine) == [("u2", "cart_id:c2", "fired"), ("u3", "cart_id:c3", "fired")]
    firings = triggers.firings(engine, trigger_id=trigger_id)
    assert [(f.customer_id, f.due_at, f.reason) for f in firings] == [
        ("u3", T0 + timedelta(minutes=170), "cart_add at 2026-03-01T09:50:00Z with "
         "cart_id=c3, then no checkout within 2h: fired"),
        ("u2", T0 + timedelta(minutes=125), "cart_add at 2026-03-01T09:05:00Z with "
         "cart_id=c2, then no checkout within 2h: fired")]


def test_new_firings_enqueue_one_delivery_each(settings: Settings, engine: Engine) -> None:
    make(engine, definition=CART, webhook_url="https://example.com/hook")
    ingest(engine, SCENARIO)
    first = triggers.evaluate(engine, as_of=END)
    again = triggers.evaluate(engine, as_of=END)
    assert (len(first.deliveries), again.deliveries) == (2, [])
    with Session(engine) as session:
        runs = session.exec(select(JobRun).where(col(JobRun.actor) == "trigger_webhook")
                            .order_by(col(JobRun.id))).all()
        assert [json.loads(run.args or "{}") for run in runs] == [
            {"firing_id": firing_id} for firing_id in first.deliveries]


def test_cooldown_maximum_and_pause(settings: Settings, engine: Engine) -> None:
    carts = [event(f"a{i}", "u9", "cart_add", 60 * 24 * day, f"k{i}")
             for i, day in enumerate([0, 0, 2, 4, 6])]
    ingest(engine, carts)
    limited = make(engine, definition=CART, cooldown="1d", max_firings=2)
    paused = make(engine, definition=CART, enabled=False)
    triggers.evaluate(engine, as_of=T0 + timedelta(days=10), deliver=False)
    statuses = {(f.trigger_id, f.occasion_key): (f.status, f.reason.rsplit(": ", 1)[1])
                for f in triggers.firings(engine)}
    assert [statuses[(limited, f"cart_id:k{i}")] for i in range(5)] == [
        ("fired", "fired"), ("cooldown", "cooldown 1d since the firing due at "
                                         "2026-03-01T11:00:00Z"),
        ("fired", "fired"), ("maximum", "maximum of 2 firings reached"),
        ("maximum", "maximum of 2 firings reached")]
    assert {statuses[(paused, f"cart_id:k{i}")] for i in range(5)} == {
        ("paused", "trigger paused, nothing fired")}
    # Resuming decides only new occasions: what was paused stays logged as paused.
    triggers.set_enabled(engine, paused, True)
    assert triggers.evaluate(engine, as_of=T0 + timedelta(days=10)).decided == {}


def test_profile_rule_and_occasions_before_the_trigger(settings: Settings,
                                                       engine: Engine) -> None:
    ingest(engine, SCENARIO)
    rule = json.dumps({**json.loads(CART), "profile": "purchases >= 1"})
    make(engine, definition=rule)
    late = triggers.create_trigger(engine, name="Late", definition=CART).trigger.id
    triggers.evaluate(engine, as_of=END, deliver=False)
    assert {(f.customer_id, f.status) for f in triggers.firings(engine)} == {
        ("u2", "condition"), ("u3", "condition")}
    assert triggers.firings(engine, trigger_id=late) == []


def test_refused_writes_name_the_field(settings: Settings, engine: Engine) -> None:
    cases = [({"name": " ", "definition": CART}, "name"),
             ({"name": "x"}, "definition"),
             ({"name": "x", "template": "nope"}, "template"),
             ({"name": "x", "definition": '{"sequence": {"first": "buy", "key": "k"}}'},
              "definition"),
             ({"name": "x", "definition": json.dumps({**json.loads(CART),
                                                      "profile": "nope > 1"})}, "definition"),
             ({"name": "x", "definition": CART, "cooldown": "soon"}, "cooldown"),
             ({"name": "x", "definition": CART, "max_firings": 0}, "maxFirings"),
             ({"name": "x", "definition": CART, "webhook_url": "ftp://x"}, "webhookUrl")]
    for kwargs, field in cases:
        with pytest.raises(triggers.TriggerProblem) as problem:
            triggers.create_trigger(engine, **kwargs)  # type: ignore[arg-type]
        assert problem.value.field == field, kwargs
    assert triggers.list_triggers(engine) == []


def test_templates_make_ready_triggers(settings: Settings, engine: Engine) -> None:
    created = triggers.create_trigger(engine, name="Carts", template="cart_abandonment")
    row = created.trigger
    assert (row.cooldown_seconds, row.max_firings, row.enabled) == (86_400, 3, True)
    assert json.loads(row.definition)["sequence"]["key"] == "cart_id"
    assert len(created.secret) >= 40 and row.webhook_secret == created.secret


def test_an_imported_batch_enqueues_its_evaluation(settings: Settings, engine: Engine) -> None:
    ingest(engine, SCENARIO[:2])
    make(engine, definition=CART)
    ingest(engine, SCENARIO)
    with Session(engine) as session:
        runs = session.exec(select(JobRun).where(col(JobRun.actor) == "evaluate_triggers")).all()
        assert [json.loads(run.args or "{}") for run in runs] == [
            {"customer_ids": ["u1", "u2", "u3"]}]


def test_the_frequency_cap_spans_triggers(settings: Settings, engine: Engine) -> None:
    configure(database_url=settings.database_url, secret_key=settings.secret_key,
              broker_url=None, trigger_cap=1, trigger_cap_days=1)
    ingest(engine, SCENARIO)
    first = make(engine, definition=CART, priority=2)
    second = make(engine, definition=CART.replace('"2h"', '"3h"'), priority=1)
    triggers.evaluate(engine, as_of=END, deliver=False)
    decided = {(f.trigger_id, f.customer_id): f.status for f in triggers.firings(engine)}
    assert decided == {(first, "u2"): "fired", (first, "u3"): "fired",
                       (second, "u2"): "frequency_cap", (second, "u3"): "frequency_cap"}


def test_an_order_exits_and_segment_entries_trigger(settings: Settings, engine: Engine) -> None:
    ingest(engine, SCENARIO)
    load_frame("orders", pl.DataFrame({
        "order_id": ["o1"], "customer_id": ["u2"],
        "occurred_at": [(T0 + timedelta(minutes=90)).isoformat()],
        "amount": ["12.50"], "currency": ["USD"]}), engine=engine)
    goal = json.dumps({**json.loads(CART), "exit": ["order"]})
    make(engine, definition=goal)
    with engine.begin() as connection:  # the writer imports and the refresh use
        ensure_static_segment(connection, "vip", "test")
        apply_changes(connection, "vip", ["u1"], [], T0 + timedelta(minutes=1))
    entered = make(engine, definition=json.dumps({"sequence": {
        "first": "segment_entered", "key": "segment_id"}}))
    triggers.evaluate(engine, as_of=END, deliver=False)
    assert log(engine) == [("u1", "segment_id:vip", "fired"),
                           ("u2", "cart_id:c2", "exited"), ("u3", "cart_id:c3", "fired")]
    [vip] = triggers.firings(engine, trigger_id=entered)
    assert vip.reason == "segment_entered at 2026-03-01T09:01:00Z with segment_id=vip: fired"
    [exited] = triggers.firings(engine, status="exited")
    assert exited.reason.endswith("then no checkout within 2h: exit: order at "
                                  "2026-03-01T10:30:00Z")


def test_fired_customers_join_a_static_segment(settings: Settings, engine: Engine) -> None:
    ingest(engine, SCENARIO)
    action = json.dumps({**json.loads(CART), "actions": [
        {"type": "webhook"}, {"type": "add_to_segment", "segment": "abandoners"}]})
    make(engine, definition=action)
    triggers.evaluate(engine, as_of=END, deliver=False)
    triggers.evaluate(engine, as_of=END, deliver=False)
    assert current_members(engine, "abandoners").to_list() == ["u2", "u3"]
    with engine.connect() as connection:
        assert connection.execute(text(
            "SELECT kind, COUNT(*) FROM segment s JOIN segment_membership m "
            "ON m.segment_id = s.segment_id WHERE s.segment_id = 'abandoners' "
            "GROUP BY kind")).all() == [("static", 2)]
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO segment (segment_id, name, kind, created_at) "
                                "VALUES ('buyers', 'Buyers', 'rule', '2026-01-01')"))
    with pytest.raises(triggers.TriggerProblem, match="segment 'buyers' is a rule segment"):
        triggers.create_trigger(engine, name="x", definition=action.replace(
            "abandoners", "buyers"))


def test_a_follow_up_check_is_scheduled_per_firing(settings: Settings, engine: Engine) -> None:
    ingest(engine, SCENARIO)
    action = json.dumps({**json.loads(CART), "actions": [
        {"type": "follow_up", "after": "1d"}]})
    make(engine, definition=action)
    result = triggers.evaluate(engine, as_of=END)
    assert result.follow_ups == [("u2", T0 + timedelta(minutes=125, days=1)),
                                 ("u3", T0 + timedelta(minutes=170, days=1))]
    with Session(engine) as session:
        runs = session.exec(select(JobRun).where(col(JobRun.actor) == "evaluate_triggers")
                            .order_by(col(JobRun.id))).all()
        assert [json.loads(run.args or "{}") for run in runs] == [
            {"customer_ids": ["u2"]}, {"customer_ids": ["u3"]}]


def test_fired_customers_get_the_attribute(settings: Settings, engine: Engine) -> None:
    ingest(engine, SCENARIO)
    action = json.dumps({**json.loads(CART), "actions": [
        {"type": "set_attribute", "name": "cart_reminder", "value": "sent"}]})
    trigger_id = make(engine, definition=action)
    triggers.evaluate(engine, as_of=END, deliver=False)
    assert [(a.name, a.value, a.trigger_id) for a in
            triggers.customer_attributes(engine, "u2")] == [("cart_reminder", "sent",
                                                            trigger_id)]
    assert triggers.customer_attributes(engine, "u1") == []


def test_the_sweep_enqueues_deliveries_left_behind(settings: Settings, engine: Engine) -> None:
    ingest(engine, SCENARIO)
    make(engine, definition=CART, webhook_url="https://example.com/hook")
    # Decided, then "crashed" before the enqueue: no delivery job recorded.
    decided = triggers.evaluate(engine, as_of=END, deliver=False)
    with engine.begin() as connection:
        connection.execute(text("UPDATE trigger_firing SET decided_at = :at").bindparams(
            bindparam("at", type_=UTCDateTime())), {"at": END})
    # A batch evaluation leaves them to the sweep; the sweep enqueues each once.
    assert triggers.evaluate(engine, customer_ids=["u2"], as_of=END).deliveries == []
    assert triggers.evaluate(engine, as_of=END).deliveries == decided.fired
    assert triggers.evaluate(engine, as_of=END).deliveries == []
    with Session(engine) as session:
        runs = session.exec(select(JobRun).where(col(JobRun.actor) == "trigger_webhook")).all()
        assert sorted(json.loads(run.args or "{}")["firing_id"] for run in runs) == \
            sorted(decided.fired)
    assert {f.delivery_job_id for f in triggers.firings(engine)} == {run.id for run in runs}


def test_an_edit_decides_what_was_due_under_the_old_version_and_never_refires(
        settings: Settings, engine: Engine) -> None:
    trigger_id = make(engine, definition=CART)
    ingest(engine, SCENARIO)
    shorter = json.dumps({"sequence": {**json.loads(CART)["sequence"], "within": "1h"}})
    edited = triggers.update_trigger(engine, trigger_id, {"definition": shorter,
                                                          "cooldown": "6h", "name": " Carts "})
    assert edited is not None
    assert (edited.version, edited.name, edited.cooldown_seconds) == (2, "Carts", 21_600)
    # The carts already due were decided by version 1 before the save.
    assert [(f.customer_id, f.status, f.trigger_version)
            for f in triggers.firings(engine)] == [("u3", "fired", 1), ("u2", "fired", 1)]
    assert triggers.evaluate(engine, as_of=END, deliver=False).decided == {}
    # Version 2 decides only what falls due from its save on (moved back to 11:00 here):
    # a cart added at 10:30 is due at 11:30 under the 1 h window; one at 09:40 is past.
    with engine.begin() as connection:
        connection.execute(text("UPDATE trigger_version SET saved_at = :at WHERE version = 2")
                           .bindparams(bindparam("at", type_=UTCDateTime())),
                           {"at": T0 + timedelta(hours=2)})
    ingest(engine, [event("n1", "u7", "cart_add", 90, "c7"),
                    event("n2", "u8", "cart_add", 40, "c8")])
    triggers.evaluate(engine, as_of=END, deliver=False)
    assert [(f.customer_id, f.trigger_version, f.due_at) for f in
            triggers.firings(engine, customer_id="u7")] == [("u7", 2, T0 + timedelta(hours=2.5))]
    assert triggers.firings(engine, customer_id="u8") == []
    # Only changed values make a version; each version is kept, newest first.
    assert triggers.update_trigger(engine, trigger_id, {"definition": shorter}) == edited
    assert [(v.version, json.loads(v.definition)["sequence"]["within"], v.cooldown_seconds)
            for v in triggers.versions(engine, trigger_id)] == [(2, "1h", 21_600),
                                                                (1, "2h", None)]
    cleared = triggers.update_trigger(engine, trigger_id, {"cooldown": None,
                                                           "webhook_url": None})
    assert cleared is not None and (cleared.version, cleared.cooldown_seconds) == (3, None)
    assert triggers.update_trigger(engine, 99, {"name": "x"}) is None


def test_refused_edits_name_the_field_and_change_nothing(settings: Settings,
                                                         engine: Engine) -> None:
    trigger_id = make(engine, definition=CART)
    window = json.dumps({"sequence": {**json.loads(CART)["sequence"], "days": ["someday"]}})
    cases = [({"name": ""}, "name", None), ({"definition": " "}, "definition", None),
             ({"definition": window}, "definition", "sequence.days"),
             ({"definition": json.dumps({**json.loads(CART), "profile": "nope > 1"})},
              "definition", "profile"),
             ({"cooldown": "soon"}, "cooldown", None), ({"max_firings": 0}, "maxFirings", None),
             ({"webhook_url": "ftp://x"}, "webhookUrl", None),
             ({"priority": None}, "priority", None), ({"secret": "x"}, "secret", None)]
    for changes, field, path in cases:
        with pytest.raises(triggers.TriggerProblem) as problem:
            triggers.update_trigger(engine, trigger_id, changes)
        assert (problem.value.field, problem.value.path) == (field, path), changes
    [row] = triggers.list_triggers(engine)
    assert (row.version, row.definition) == (1, json.dumps(json.loads(CART), sort_keys=True))


def test_an_archived_trigger_decides_nothing_and_keeps_its_log(settings: Settings,
                                                               engine: Engine) -> None:
    trigger_id = make(engine, definition=CART)
    ingest(engine, SCENARIO)
    triggers.evaluate(engine, as_of=T0 + timedelta(minutes=130), deliver=False)
    archived = triggers.archive_trigger(engine, trigger_id)
    assert archived is not None and archived.archived_at is not None
    assert triggers.list_triggers(engine) == []
    assert [row.id for row in triggers.list_triggers(engine, archived=True)] == [trigger_id]
    assert not triggers.has_enabled_triggers(engine)
    # u3's cart falls due after the archive: nothing decides it; u2's firing stays.
    assert triggers.evaluate(engine, as_of=END, deliver=False).decided == {}
    assert [f.customer_id for f in triggers.firings(engine)] == ["u2"]
    again = triggers.archive_trigger(engine, trigger_id)
    assert again is not None and again.archived_at == archived.archived_at
    with pytest.raises(triggers.TriggerProblem, match="archived") as problem:
        triggers.set_enabled(engine, trigger_id, True)
    assert problem.value.field == "id"
    assert triggers.archive_trigger(engine, 99) is None


def test_a_time_window_is_read_in_the_customers_zone(settings: Settings,
                                                     engine: Engine) -> None:
    # 29 March 2026: Berlin moves to summer time at 01:00 UTC. Carts abandoned on the
    # Saturday evening wait for 09:00 local on Sunday: 07:00 UTC in Berlin (CEST), 09:00
    # UTC for a customer without a zone (the default), 13:00 UTC in New York (EDT).
    load_frame("customers", pl.DataFrame({
        "customer_id": ["b", "n", "z"], "email": ["b@x.com", "n@x.com", "z@x.com"],
        "timezone": ["Europe/Berlin", "America/New_York", None]}), engine=engine)
    windowed = json.dumps({"sequence": {**json.loads(CART)["sequence"], "hours": [9, 20]}})
    make(engine, definition=windowed)
    saturday = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    ingest(engine, [{**event(f"w{c}", c, "cart_add", 0, f"k{c}"),
                     "occurred_at": saturday.isoformat()} for c in "bnz"])
    # An import's batch reads its own customers' zones; the sweep everyone's.
    triggers.evaluate(engine, customer_ids=["b"], as_of=datetime(2026, 3, 30, tzinfo=UTC),
                      deliver=False)
    assert [f.due_at for f in triggers.firings(engine)] == [datetime(2026, 3, 29, 7,
                                                                      tzinfo=UTC)]
    triggers.evaluate(engine, as_of=datetime(2026, 3, 30, tzinfo=UTC), deliver=False)
    due = {f.customer_id: (f.due_at, f.reason.split(", held for ")[1])
           for f in triggers.firings(engine)}
    assert due == {"b": (datetime(2026, 3, 29, 7, tzinfo=UTC),
                         "the 9-20 h window in Europe/Berlin: fired"),
                   "n": (datetime(2026, 3, 29, 13, tzinfo=UTC),
                         "the 9-20 h window in America/New_York: fired"),
                   "z": (datetime(2026, 3, 29, 9, tzinfo=UTC), "the 9-20 h window in UTC: fired")}


def test_the_default_zone_is_a_setting(settings: Settings, engine: Engine) -> None:
    configure(database_url=settings.database_url, secret_key=settings.secret_key,
              broker_url=None, trigger_timezone="Asia/Tokyo")
    windowed = json.dumps({"sequence": {**json.loads(CART)["sequence"], "hours": [9, 20],
                                        "days": ["mon"]}})
    make(engine, definition=windowed)
    ingest(engine, SCENARIO)
    triggers.evaluate(engine, as_of=T0 + timedelta(days=3), deliver=False)
    # Sunday 1 March: Monday 09:00 in Tokyo is Monday 00:00 UTC.
    assert {f.due_at for f in triggers.firings(engine)} == {datetime(2026, 3, 2, tzinfo=UTC)}
    with pytest.raises(ValueError, match="'Mars/Olympus' is not an IANA time zone"):
        configure(trigger_timezone="Mars/Olympus")
