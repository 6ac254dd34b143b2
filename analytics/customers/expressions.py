"""The rule-segment language: a tokenizer and a recursive-descent parser into a typed AST.

A definition is data, never code: it is read by this parser only, checked against the
known fields and their types, and compiled into polars expressions (``rules.py``); no
part of it ever reaches Python's own evaluation. Grammar::

    rule       := or
    or         := and ("or" and)*
    and        := unary ("and" unary)*
    unary      := "not" unary | "(" rule ")" | condition
    condition  := FIELD                                   (a yes/no field)
                | FIELD ("==" | "!=" | "<" | "<=" | ">" | ">=") (literal | FIELD)
                | FIELD ["not"] "in" "[" literal ("," literal)* "]"
                | FIELD "is" ["not"] "null"
    literal    := NUMBER | STRING | "true" | "false"

Strings are in double or single quotes (``\\"`` escapes a quote). Keywords are lower
case. Every error names the offending token and its column (from 1), with a fix.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum


class FieldType(Enum):
    NUMBER = "number"
    STRING = "string"
    BOOLEAN = "boolean"


Literal = float | str | bool


class RuleSyntaxError(ValueError):
    """A definition that cannot be used; ``column`` is where the problem starts (from 1)."""

    def __init__(self, message: str, column: int, hint: str = "") -> None:
        super().__init__(f"{message} at column {column}" + (f" — {hint}" if hint else ""))
        self.reason = message
        self.column = column
        self.hint = hint


@dataclass(frozen=True)
class Token:
    kind: str  # number, string, name, op, punct, end
    text: str
    column: int
    value: Literal | None = None


@dataclass(frozen=True)
class Compare:
    field: str
    op: str
    value: Literal | None  # a literal, or None when comparing with ``other``
    other: str | None = None


@dataclass(frozen=True)
class InList:
    field: str
    values: tuple[Literal, ...]
    negated: bool


@dataclass(frozen=True)
class IsNull:
    field: str
    negated: bool


@dataclass(frozen=True)
class IsTrue:
    field: str


@dataclass(frozen=True)
class Not:
    item: Node


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" or "or"
    items: tuple[Node, ...]


Node = Compare | InList | IsNull | IsTrue | Not | BoolOp
Condition = Compare | InList | IsNull | IsTrue

KEYWORDS = frozenset({"and", "or", "not", "in", "is", "null", "true", "false"})
COMPARISONS = ("==", "!=", "<=", ">=", "<", ">")
_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>-?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|<|>)
  | (?P<punct>[()\[\],])
""", re.VERBOSE)
MAX_LENGTH = 2000


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``, ending with an ``end`` token."""
    if len(text) > MAX_LENGTH:
        raise RuleSyntaxError(f"the definition is {len(text)} characters long; keep it "
                              f"under {MAX_LENGTH}", MAX_LENGTH + 1)
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            char = text[position]
            hint = " (use == to compare)" if char == "=" else (
                " (strings need a closing quote)" if char in "\"'" else "")
            raise RuleSyntaxError(f"unexpected character {char!r}{hint}", position + 1)
        kind = match.lastgroup or ""
        raw = match.group()
        if kind == "number":
            number = float(raw)
            if not math.isfinite(number):
                raise RuleSyntaxError(f"number {raw} is too large", position + 1)
            tokens.append(Token(kind, raw, position + 1, number))
        elif kind == "string":
            value = re.sub(r"\\(.)", r"\1", raw[1:-1])
            tokens.append(Token(kind, raw, position + 1, value))
        elif kind != "space":
            tokens.append(Token(kind, raw, position + 1))
        position = match.end()
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


def _describe(token: Token) -> str:
    return "the end of the definition" if token.kind == "end" else repr(token.text)


class _Parser:
    def __init__(self, text: str, fields: Mapping[str, FieldType]) -> None:
        self.tokens = tokenize(text)
        self.fields = fields
        self.at = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.at]

    def take(self) -> Token:
        token = self.token
        self.at += 1
        return token

    def accept(self, text: str) -> bool:
        if self.token.kind in ("name", "op", "punct") and self.token.text == text:
            self.at += 1
            return True
        return False

    def expect(self, text: str, what: str) -> None:
        if not self.accept(text):
            raise RuleSyntaxError(f"expected {what}, found {_describe(self.token)}",
                                  self.token.column)

    def rule(self) -> Node:
        if self.token.kind == "end":
            raise RuleSyntaxError("the definition is empty; write a condition such as "
                                  "open_rate_90d >= 0.3", self.token.column)
        node = self.or_()
        if self.token.kind != "end":
            raise RuleSyntaxError(f"unexpected {_describe(self.token)}; join conditions "
                                  "with 'and' or 'or'", self.token.column)
        return node

    def or_(self) -> Node:
        items = [self.and_()]
        while self.accept("or"):
            items.append(self.and_())
        return items[0] if len(items) == 1 else BoolOp("or", tuple(items))

    def and_(self) -> Node:
        items = [self.unary()]
        while self.accept("and"):
            items.append(self.unary())
        return items[0] if len(items) == 1 else BoolOp("and", tuple(items))

    def unary(self) -> Node:
        if self.accept("not"):
            return Not(self.unary())
        if self.accept("("):
            node = self.or_()
            self.expect(")", "')' to close the parenthesis")
            return node
        return self.condition()

    def field(self) -> tuple[str, FieldType]:
        token = self.take()
        if token.kind != "name" or token.text in KEYWORDS:
            raise RuleSyntaxError(f"expected a field name, found {_describe(token)}",
                                  token.column)
        if token.text not in self.fields:
            close = difflib.get_close_matches(token.text, list(self.fields), n=1)
            hint = f"did you mean {close[0]}?" if close else (
                "known fields: " + ", ".join(sorted(self.fields)))
            raise RuleSyntaxError(f"unknown field {token.text!r}", token.column, hint)
        return token.text, self.fields[token.text]

    def literal(self, name: str, kind: FieldType) -> Literal:
        token = self.take()
        if token.kind == "name" and token.text in ("true", "false"):
            value: Literal = token.text == "true"
            found = FieldType.BOOLEAN
        elif token.kind == "number":
            value, found = float(token.value or 0), FieldType.NUMBER
        elif token.kind == "string":
            value, found = str(token.value), FieldType.STRING
        else:
            raise RuleSyntaxError(f"expected a {kind.value} to compare {name} with, found "
                                  f"{_describe(token)}", token.column)
        if found is not kind:
            raise RuleSyntaxError(f"{name} is a {kind.value}, but {token.text} is a "
                                  f"{found.value}", token.column)
        return value

    def condition(self) -> Condition:
        name, kind = self.field()
        token = self.token
        if self.accept("is"):
            negated = self.accept("not")
            self.expect("null", "'null' after 'is'")
            return IsNull(name, negated)
        negated = self.accept("not")
        if negated or self.token.text == "in":
            self.expect("in", "'in' after 'not'" if negated else "'in'")
            self.expect("[", "'[' to start the list")
            values = [self.literal(name, kind)]
            while self.accept(","):
                values.append(self.literal(name, kind))
            self.expect("]", "',' or ']' to close the list")
            return InList(name, tuple(values), negated)
        if token.kind == "op":
            op = self.take().text
            if kind is not FieldType.NUMBER and op not in ("==", "!="):
                raise RuleSyntaxError(f"{name} is a {kind.value}; compare it with == or !=",
                                      token.column)
            if self.token.kind == "name" and self.token.text not in KEYWORDS:
                other_token = self.token
                other, other_kind = self.field()
                if other_kind is not kind:
                    raise RuleSyntaxError(f"{name} is a {kind.value}, but {other} is a "
                                          f"{other_kind.value}", other_token.column)
                return Compare(name, op, None, other)
            return Compare(name, op, self.literal(name, kind))
        if kind is FieldType.BOOLEAN:
            return IsTrue(name)
        raise RuleSyntaxError(f"expected a comparison (==, !=, <, <=, >, >=, in, is null) "
                              f"after {name}, found {_describe(token)}", token.column)


def parse(text: str, fields: Mapping[str, FieldType]) -> Node:
    """The AST of ``text`` over ``fields`` (name -> type).

    Raises ``RuleSyntaxError`` naming the offending token and its column."""
    return _Parser(text, fields).rule()


def conditions(node: Node) -> list[Condition]:
    """The leaf conditions of ``node``, left to right."""
    if isinstance(node, Not):
        return conditions(node.item)
    if isinstance(node, BoolOp):
        return [leaf for item in node.items for leaf in conditions(item)]
    return [node]


def _literal_text(value: Literal) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(node: Node) -> str:
    """Canonical text of ``node``, parsing back to the same AST."""
    if isinstance(node, Compare):
        right = node.other if node.other is not None else _literal_text(
            node.value if node.value is not None else "")
        return f"{node.field} {node.op} {right}"
    if isinstance(node, InList):
        values = ", ".join(_literal_text(value) for value in node.values)
        return f"{node.field} {'not in' if node.negated else 'in'} [{values}]"
    if isinstance(node, IsNull):
        return f"{node.field} is {'not null' if node.negated else 'null'}"
    if isinstance(node, IsTrue):
        return node.field
    if isinstance(node, Not):
        return f"not ({render(node.item)})"
    return f" {node.op} ".join(f"({render(item)})" for item in node.items)
