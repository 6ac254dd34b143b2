"""Persisted GraphQL queries: a map of SHA-256 hashes to documents the server accepts.

Front-end builds register their operations ahead of time and send only the hash
(Apollo's ``extensions.persistedQuery.sha256Hash``); with persisted-only mode on, the
server runs nothing else. The map is a JSON object ``{"<sha256 hex>": "<document>"}``
(the persisted-query manifest Relay and Apollo's tooling write); every document must
hash to its key and validate against ``schema.graphql``, which stays the contract.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from graphql import parse, validate

from schema.root import schema


class PersistedQueryError(ValueError):
    """The map cannot be used: a key is not its document's hash, or a document is not
    valid against the schema."""


def document_hash(document: str) -> str:
    """The SHA-256 hex digest of ``document`` as sent, the key clients use."""
    return hashlib.sha256(document.encode()).hexdigest()


def load_persisted(path: str | Path) -> dict[str, str]:
    """The hash -> document map at ``path``, checked; ``PersistedQueryError`` naming the
    entry and the fix otherwise."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        raise PersistedQueryError(f"{path}: cannot read the persisted queries ({error}); "
                                  "it must be a JSON object of sha256 -> document") from None
    if not isinstance(data, dict):
        raise PersistedQueryError(f"{path}: must be a JSON object of sha256 -> document")
    checked: dict[str, str] = {}
    for key, document in data.items():
        if not isinstance(document, str):
            raise PersistedQueryError(f"{path}: entry {key!r} is not a document string")
        if document_hash(document) != key.lower():
            raise PersistedQueryError(f"{path}: entry {key!r} is not the SHA-256 of its "
                                      f"document (that is {document_hash(document)}); "
                                      "regenerate the manifest")
        problems = validate(schema._schema, parse(document))
        if problems:
            raise PersistedQueryError(f"{path}: entry {key!r} does not validate against "
                                      f"the schema: {problems[0].message}")
        checked[key.lower()] = document
    return checked
