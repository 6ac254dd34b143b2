"""The persisted-query manifest: keys are the documents' hashes, documents validate."""

from __future__ import annotations

import hashlib
import json

import pytest

from schema.persisted import PersistedQueryError, document_hash, load_persisted

JOBS = "query Jobs { jobs(first: 2) { edges { node { id state } } } }"


def test_a_manifest_of_valid_documents_loads(tmp_path) -> None:
    path = tmp_path / "persisted.json"
    path.write_text(json.dumps({document_hash(JOBS).upper(): JOBS}))
    assert load_persisted(path) == {hashlib.sha256(JOBS.encode()).hexdigest(): JOBS}


@pytest.mark.parametrize(("content", "message"), [
    ("not json", "cannot read the persisted queries"),
    ("[]", "must be a JSON object"),
    (json.dumps({"abc": JOBS}), "is not the SHA-256 of its document"),
    (json.dumps({document_hash("{ nope }"): "{ nope }"}),
     "does not validate against the schema: Cannot query field 'nope'"),
    (json.dumps({"x": 1}), "is not a document string"),
])
def test_a_bad_manifest_is_refused_with_the_entry_named(tmp_path, content: str,
                                                        message: str) -> None:
    path = tmp_path / "persisted.json"
    path.write_text(content)
    with pytest.raises(PersistedQueryError, match=message):
        load_persisted(path)
