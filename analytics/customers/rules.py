"""Rule segments: a parsed definition compiled into a polars filter, and the "why" of
one customer's membership.

A condition on a missing value does not hold (``open_rate_90d >= 0.3`` is false for a
customer never delivered to), and ``not`` turns it true: the filter and the explanation
follow the same rule, so the "why" always agrees with the membership.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from analytics.customers.expressions import (
    BoolOp,
    Compare,
    Condition,
    FieldType,
    InList,
    IsNull,
    Node,
    Not,
    conditions,
    parse,
    render,
)
from analytics.customers.schemas import PROFILE_SCHEMA

_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge,
}


def field_types(schema: Mapping[str, pl.DataType]) -> dict[str, FieldType]:
    """The fields a rule may name, from a frame schema (timestamps are left out: rules
    use the day counts derived from them)."""
    fields: dict[str, FieldType] = {}
    for name, dtype in schema.items():
        if dtype.is_numeric():
            fields[name] = FieldType.NUMBER
        elif dtype == pl.String:
            fields[name] = FieldType.STRING
        elif dtype == pl.Boolean:
            fields[name] = FieldType.BOOLEAN
    return fields


PROFILE_FIELDS = field_types(PROFILE_SCHEMA)


def _leaf(node: Condition) -> pl.Expr:
    column = pl.col(node.field)
    if isinstance(node, Compare):
        right = pl.col(node.other) if node.other is not None else pl.lit(node.value)
        return _OPERATORS[node.op](column, right)  # type: ignore[no-any-return]
    if isinstance(node, InList):
        held = column.is_in(list(node.values))
        return column.is_not_null() & (~held if node.negated else held)
    if isinstance(node, IsNull):
        return column.is_not_null() if node.negated else column.is_null()
    return column


def to_polars(node: Node) -> pl.Expr:
    """A boolean expression, true exactly for the rows ``node`` holds for."""
    if isinstance(node, Not):
        return ~to_polars(node.item)
    if isinstance(node, BoolOp):
        parts = [to_polars(item) for item in node.items]
        return pl.all_horizontal(parts) if node.op == "and" else pl.any_horizontal(parts)
    return _leaf(node).fill_null(False)


def compile_rule(text: str, fields: Mapping[str, FieldType] = PROFILE_FIELDS) -> pl.Expr:
    """``text`` parsed over ``fields`` and compiled (raises ``RuleSyntaxError``)."""
    return to_polars(parse(text, fields))


def members(profiles: pl.DataFrame, node: Node) -> pl.Series:
    """The ``customer_id`` of every profile ``node`` holds for, sorted."""
    return profiles.filter(to_polars(node))["customer_id"].sort()


@dataclass(frozen=True)
class Reason:
    """One condition of a rule for one customer: the values it read and whether it held."""

    condition: str
    values: dict[str, Any]
    held: bool


@dataclass(frozen=True)
class Explanation:
    """Whether a customer matches the rule, and each condition's part in it."""

    matches: bool
    reasons: tuple[Reason, ...]


def _holds_leaf(node: Condition, row: Mapping[str, Any]) -> bool:
    value = row.get(node.field)
    if isinstance(node, IsNull):
        return (value is not None) if node.negated else (value is None)
    if value is None:
        return False
    if isinstance(node, Compare):
        right = row.get(node.other) if node.other is not None else node.value
        return right is not None and bool(_OPERATORS[node.op](value, right))
    if isinstance(node, InList):
        return (value in node.values) != node.negated
    return bool(value)


def holds(node: Node, row: Mapping[str, Any]) -> bool:
    """Whether ``node`` holds for one profile (a column -> value mapping)."""
    if isinstance(node, Not):
        return not holds(node.item, row)
    if isinstance(node, BoolOp):
        results = (holds(item, row) for item in node.items)
        return all(results) if node.op == "and" else any(results)
    return _holds_leaf(node, row)


def explain(node: Node, row: Mapping[str, Any]) -> Explanation:
    """Why one profile is (or is not) matched by ``node``: every leaf condition with the
    values it read and whether it held."""
    reasons = []
    for leaf in conditions(node):
        names = [leaf.field] + ([leaf.other] if isinstance(leaf, Compare) and leaf.other
                                else [])
        reasons.append(Reason(render(leaf), {name: row.get(name) for name in names},
                              _holds_leaf(leaf, row)))
    return Explanation(holds(node, row), tuple(reasons))

