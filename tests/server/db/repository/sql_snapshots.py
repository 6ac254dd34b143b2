"""Report SQL compared with a committed snapshot, so a changed query shows in review
beside the test of its results (``__snapshots__/<name>.<dialect>.sql``).

The text is compiled for the dialect with named bound parameters (``:c0``), never their
values; it is laid out one clause per line. ``MAILSCOPE_UPDATE_SNAPSHOTS=1`` rewrites the
files; commit them with the change that moved them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

SNAPSHOTS = Path(__file__).resolve().parent / "__snapshots__"
DIALECTS: dict[str, Dialect] = {"sqlite": sqlite.dialect(paramstyle="named"),
                                "postgresql": postgresql.dialect(paramstyle="named")}
UPDATE = os.environ.get("MAILSCOPE_UPDATE_SNAPSHOTS", "") == "1"
_TOKEN = re.compile(r"'(?:[^']|'')*'|\(|\)|,|\s+|[^\s(),']+")
_CLAUSES = {"SELECT", "FROM", "WHERE", "GROUP", "ORDER", "HAVING", "LEFT", "JOIN", "UNION",
            "INSERT"}


def layout(sql: str) -> str:
    """``sql`` with one clause per line and one select item per line, indented by
    subquery depth; the text between tokens is otherwise kept."""
    lines: list[str] = []
    line = ""
    stack: list[bool] = []  # per open parenthesis: does it hold a query?
    previous = ""

    def query_level() -> bool:
        return not stack or stack[-1]

    def newline() -> None:
        nonlocal line
        if line.strip():
            lines.append(line.rstrip())
        line = "    " * sum(stack)

    tokens = [token for token in _TOKEN.findall(sql)]
    for index, token in enumerate(tokens):
        if token.isspace():
            if line and not line.endswith((" ", "(")):
                line += " "
            continue
        word = token.upper()
        if token == "(":
            following = next((t for t in tokens[index + 1:] if not t.isspace()), "")
            stack.append(following.upper() == "SELECT")
            line += token
            if stack[-1]:
                newline()
        elif token == ")":
            opened_query = stack.pop() if stack else False
            if opened_query:
                newline()
                line = line.rstrip()
                line += token if line.strip() else "    " * sum(stack) + token
            else:
                line = line.rstrip() + token
        elif token == "," and query_level():
            line = line.rstrip() + ","
            newline()
            line += "    "
        elif word in _CLAUSES and query_level() and not (word == "JOIN" and previous == "LEFT"):
            newline()
            line += token
        else:
            line += token
        previous = word
    newline()
    return "\n".join(lines)


def compiled(sql: str, dialect: str) -> str:
    statement = text(sql).compile(dialect=DIALECTS[dialect])
    names = ", ".join(f":{name}" for name in sorted(statement.binds)) or "none"
    return f"-- bound parameters: {names}\n{layout(str(statement))}\n"


def assert_sql_snapshot(name: str, dialect: str, sql: str) -> None:
    """``sql`` compiled for ``dialect`` equals ``__snapshots__/<name>.<dialect>.sql``."""
    path = SNAPSHOTS / f"{name}.{dialect}.sql"
    actual = compiled(sql, dialect)
    if UPDATE:
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(actual)
        return
    if not path.exists():
        pytest.fail(f"no SQL snapshot {path.relative_to(SNAPSHOTS.parents[4])}: run the test "
                    "with MAILSCOPE_UPDATE_SNAPSHOTS=1 to write it, read it, and commit it",
                    pytrace=False)
    assert actual == path.read_text(), (
        f"the SQL of {name} on {dialect} changed; if that is intended, rerun with "
        "MAILSCOPE_UPDATE_SNAPSHOTS=1 and commit the new snapshot")
