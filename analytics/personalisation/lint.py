"""Template lint: syntax errors, unknown tokens, refused constructs, and tokens without a
fallback for fields that are often empty — each with its line and column (from 1).

Columns come from the source itself: Jinja reports only a line, so a parser error's
column is where the token it stopped at starts on that line (found by the token's text
inside a ``{{ }}``/``{% %}`` on the line), a lexer error's column comes from the offset
Jinja names (``unexpected char '$' at 12``), and when neither is known it is the column
of the first tag that opens on the line. Token problems point at the token's own text.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from jinja2 import TemplateSyntaxError, nodes
from jinja2.parser import Parser

from analytics.personalisation.sandbox import Sandbox, TemplateRefused, check_shape
from analytics.personalisation.tokens import NAMESPACES, RULES, SHORTCUTS

OFTEN_EMPTY = 0.05
"""A field empty for at least this share of customers needs a fallback."""
FALLBACK_FILTERS = frozenset({"default", "d"})
_TAG = re.compile(r"\{\{|\{%")
_LEXER_AT = re.compile(r" at (\d+)$")
_QUOTED = re.compile(r"'([^']+)'")


@dataclass(frozen=True)
class LintMessage:
    """One problem: ``severity`` is error (the template cannot be saved) or warning."""

    severity: str
    code: str
    message: str
    line: int
    column: int
    token: str | None = None


def _line_start(source: str, line: int) -> int:
    at = 0
    for _ in range(line - 1):
        found = source.find("\n", at)
        if found < 0:
            return len(source)
        at = found + 1
    return at


def _line_text(source: str, line: int) -> str:
    lines = source.split("\n")
    return lines[line - 1] if 0 < line <= len(lines) else ""


def _first_tag(text: str) -> int:
    match = _TAG.search(text)
    return match.start() + 1 if match else 1


def _inside_tags(text: str, needle: str) -> int | None:
    """Column (from 1) of ``needle`` inside a tag on ``text`` (or anywhere, failing that)."""
    best = None
    for match in re.finditer(re.escape(needle), text):
        opened = max(text.rfind("{{", 0, match.start()), text.rfind("{%", 0, match.start()))
        closed = max(text.rfind("}}", 0, match.start()), text.rfind("%}", 0, match.start()))
        if opened > closed:
            return match.start() + 1
        best = best or match.start() + 1
    return best


def syntax_column(source: str, error: TemplateSyntaxError,
                  current: tuple[int, str] | None) -> tuple[int, int]:
    """The line and column of ``error`` (``current``: the parser's token, line and text,
    when the parser raised it)."""
    line = error.lineno or 1
    text = _line_text(source, line)
    at = _LEXER_AT.search(error.message or "")
    if at:
        offset = int(at.group(1))
        line = source.count("\n", 0, offset) + 1
        return line, offset - _line_start(source, line) + 1
    if "end of template" in (error.message or ""):
        lines = source.split("\n")
        return len(lines), len(lines[-1]) + 1
    candidates = []
    if current is not None and current[0] == line and current[1]:
        candidates.append(current[1])
    candidates += _QUOTED.findall(error.message or "")
    for candidate in candidates:
        column = _inside_tags(text, candidate)
        if column is not None:
            return line, column
    return line, _first_tag(text)


@dataclass
class _Usage:
    token: str
    line: int
    column: int
    fallback: bool


class _Locator:
    """Columns of tokens in the source: the n-th use of a pattern on a line (in the
    template's order) is its n-th match inside a tag on that line."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.seen: dict[tuple[int, str], int] = {}

    def column(self, line: int, pattern: str) -> int:
        text = _line_text(self.source, line)
        nth = self.seen.get((line, pattern), 0)
        self.seen[(line, pattern)] = nth + 1
        inside = []
        for match in re.finditer(pattern, text):
            opened = max(text.rfind("{{", 0, match.start()), text.rfind("{%", 0, match.start()))
            closed = max(text.rfind("}}", 0, match.start()), text.rfind("%}", 0, match.start()))
            if opened > closed:
                inside.append(match.start() + 1)
        if inside:
            return inside[min(nth, len(inside) - 1)]
        return _first_tag(text)


def _key(node: nodes.Node) -> str | None:
    """The token a Name or namespace Getattr reads (bare fields as customer.<name>)."""
    if isinstance(node, nodes.Name):
        return f"customer.{node.name}" if node.name in SHORTCUTS else node.name
    if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name):
        return f"{node.node.name}.{node.attr}"
    return None


def _with_fallback(ast: nodes.Template) -> set[int]:
    """``id`` of every node a fallback guards: a default filter on it, an ``is defined``
    test of it, a condition on it, or an ``if`` on the same token around it."""
    guarded: set[int] = set()
    for node in ast.find_all((nodes.Filter,)):
        if node.name in FALLBACK_FILTERS and node.node is not None:
            guarded.add(id(node.node))
    for test in ast.find_all((nodes.Test,)):
        if test.name in ("defined", "undefined", "none"):
            guarded.add(id(test.node))
    branches: list[tuple[nodes.Node, list[nodes.Node]]] = [
        (branch.test, list(branch.body)) for branch in ast.find_all((nodes.If,))]
    branches += [(expression.test, [expression.expr1])
                 for expression in ast.find_all((nodes.CondExpr,))]
    for test_node, body in branches:
        guarded.add(id(test_node))
        tested = {_key(read) for read in test_node.find_all((nodes.Name, nodes.Getattr))}
        tested |= {_key(test_node)}
        for child in body:
            for inner in [child, *child.find_all((nodes.Name, nodes.Getattr))]:
                if _key(inner) in tested - {None}:
                    guarded.add(id(inner))
    return guarded


def _usages(ast: nodes.Template, source: str, declared: set[str],
            rule_keys: frozenset[str]) -> tuple[list[_Usage], list[LintMessage]]:
    usages: list[_Usage] = []
    problems: list[LintMessage] = []
    guarded = _with_fallback(ast)
    locate = _Locator(source)
    namespaced: set[int] = set()
    for node in ast.find_all((nodes.Getattr, nodes.Getitem)):
        target = node.node  # type: ignore[attr-defined]
        field = node.attr if isinstance(node, nodes.Getattr) else (
            node.arg.value if isinstance(node, nodes.Getitem)
            and isinstance(node.arg, nodes.Const) else None)
        if not isinstance(target, nodes.Name) or target.name in declared:
            if isinstance(node, nodes.Getattr) and not (
                    isinstance(target, nodes.Name) and target.name in declared):
                column = locate.column(node.lineno, rf"\.\s*{re.escape(node.attr)}(?!\w)")
                problems.append(LintMessage(
                    "error", "refused", f"reading .{node.attr} here is not allowed: "
                    "templates read only the documented tokens", node.lineno, column,
                    node.attr))
            continue
        space = target.name
        if space not in NAMESPACES and space != RULES:
            continue
        namespaced.add(id(target))
        if not isinstance(field, str):
            continue
        token = f"{space}.{field}"
        column = locate.column(node.lineno, rf"(?<![\w.]){space}\s*(\.\s*{re.escape(field)}"
                                            rf"(?!\w)|\[)")
        known = field in rule_keys if space == RULES else field in NAMESPACES[space]
        if not known:
            fields = sorted(rule_keys) if space == RULES else sorted(NAMESPACES[space])
            close = difflib.get_close_matches(field, fields, n=1)
            hint = f"did you mean {space}.{close[0]}?" if close else (
                f"known {space} fields: {', '.join(fields) or 'none yet'}")
            problems.append(LintMessage("error", "unknown-token",
                                        f"unknown token {token} — {hint}", node.lineno,
                                        column, token))
            continue
        usages.append(_Usage(token, node.lineno, column, id(node) in guarded))
    for name in ast.find_all((nodes.Name,)):
        if name.ctx != "load" or id(name) in namespaced or name.name in declared:
            continue
        if name.name in ("loop", "range", "caller", "varargs", "kwargs"):
            continue
        column = locate.column(name.lineno, rf"(?<![\w.]){re.escape(name.name)}(?!\w)")
        if name.name in SHORTCUTS:
            usages.append(_Usage(f"customer.{name.name}", name.lineno, column,
                                 id(name) in guarded))
        elif name.name in NAMESPACES or name.name == RULES:
            problems.append(LintMessage(
                "error", "unknown-token", f"{name.name} is a namespace; name a field, "
                f"e.g. {name.name}.{sorted(NAMESPACES.get(name.name, {'offer': ''}))[0]}",
                name.lineno, column, name.name))
        else:
            problems.append(LintMessage(
                "error", "unknown-token", f"unknown token {name.name} — use a namespaced "
                "token such as customer.first_name or profile.lifecycle_stage",
                name.lineno, column, name.name))
    return usages, problems


def _declared(ast: nodes.Template) -> set[str]:
    names = {node.name for node in ast.find_all((nodes.Name,))
             if node.ctx in ("store", "param")}
    return names | {macro.name for macro in ast.find_all((nodes.Macro,))}


def lint(source: str, kind: str, *, rule_keys: Iterable[str] = (),
         empty_shares: Mapping[str, float] | None = None,
         customers: int = 0) -> list[LintMessage]:
    """Every problem of ``source`` as a ``kind`` template, in source order.

    ``empty_shares`` maps a token (``customer.first_name``) to the share of ``customers``
    for whom it is empty; a token used without a fallback and empty for at least
    ``OFTEN_EMPTY`` of them is a warning that says how often."""
    try:
        check_shape(source)
    except TemplateRefused as refused:
        return [LintMessage("error", "too-large", refused.message or "", 1, 1)]
    environment = Sandbox(kind)
    try:
        # Lexing alone first: a lexer error leaves the parser's token behind the fault.
        for _token in environment.lexer.tokeniter(source, None):
            pass
    except TemplateSyntaxError as error:
        line, column = syntax_column(source, error, None)
        return [LintMessage("error", "syntax", error.message or "syntax error", line, column)]
    parser = Parser(environment, source)
    try:
        ast = parser.parse()
    except TemplateSyntaxError as error:
        current = parser.stream.current
        line, column = syntax_column(source, error, (current.lineno, str(current.value)))
        return [LintMessage("error", "syntax", error.message or "syntax error", line, column)]
    except RecursionError:
        return [LintMessage("error", "syntax", "the template nests too deeply", 1, 1)]
    messages = []
    try:
        environment.compile_source(source)
    except TemplateRefused as refused:
        messages.append(LintMessage("error", "too-large", refused.message or "", 1, 1))
    except TemplateSyntaxError:
        pass  # an unknown filter or test: reported below with its position
    for call in ast.find_all((nodes.Filter,)):
        if call.name not in environment.filters:
            messages.append(LintMessage(
                "error", "unknown-filter", f"filter {call.name!r} is not available; use one "
                f"of {', '.join(sorted(environment.filters))}", call.lineno,
                _Locator(source).column(
                    call.lineno, rf"(?:(?<=\|)|(?<=\|\s)){re.escape(call.name)}(?!\w)"),
                call.name))
    usages, problems = _usages(ast, source, _declared(ast), frozenset(rule_keys))
    messages += problems
    shares = empty_shares or {}
    for usage in usages:
        share = shares.get(usage.token, 0.0)
        if usage.fallback or share < OFTEN_EMPTY:
            continue
        messages.append(LintMessage(
            "warning", "no-fallback",
            f"{usage.token} is empty for {share:.0%} of customers "
            f"({round(share * customers)} of {customers}); add a fallback such as "
            f"{{{{ {usage.token} | default(\"…\") }}}}",
            usage.line, usage.column, usage.token))
    return sorted(messages, key=lambda message: (message.line, message.column))
