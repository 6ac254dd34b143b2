"""The audit helper keeps secrets out and details small."""

from __future__ import annotations

import json

from sqlalchemy import Engine

from server.db.engine import session_scope
from server.db.repository.audit import count_audit, import_counts, list_audit, record_audit


def test_secrets_are_redacted_and_long_values_cut(db: Engine) -> None:
    with session_scope(db) as session:
        record_audit(session=session, actor="a" * 300, action="settings.change",
                     detail={"api_key": "ms_x", "webhook_secret": "s", "key_id": 4,
                             "nested": {"password": "p", "Authorization": "Bearer t"},
                             "items": list(range(25)), "note": "n" * 400,
                             "when": object()})
        (event,) = list_audit(session=session)
        assert count_audit(session=session) == 1
    detail = json.loads(event.detail)
    assert detail["api_key"] == detail["webhook_secret"] == "[redacted]"
    assert detail["key_id"] == 4
    assert detail["nested"] == {"password": "[redacted]", "Authorization": "[redacted]"}
    assert detail["items"][-1] == "… 5 more" and len(detail["items"]) == 21
    assert detail["note"].endswith("…") and len(detail["note"]) == 301
    assert detail["when"].startswith("<object")
    assert len(event.actor) == 200


def test_import_counts() -> None:
    class Report:
        received, inserted, updated, unchanged, rejected = 5, 3, 1, 1, 0

    assert import_counts(Report()) == {"received": 5, "inserted": 3, "updated": 1,
                                       "unchanged": 1, "rejected": 0}
