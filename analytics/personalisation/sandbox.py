"""The render sandbox: Jinja2's ``ImmutableSandboxedEnvironment`` narrowed to the token
namespaces, with size and time limits.

What is enforced, and how:

- **Attributes**: only a namespace record's allow-listed fields (``customer.first_name``)
  and a loop's counters (``loop.index`` …) can be read; every other attribute or string
  key (``''.__class__``, ``self._TemplateReference__context``, ``x['__globals__']``) is a
  ``TemplateRefused``. Integer indexes into strings and lists stay allowed.
- **Names**: the globals are only ``range`` (capped at ``MAX_RANGE`` items); Jinja's
  ``lipsum``, ``cycler``, ``joiner``, ``namespace`` and ``dict`` are removed, and there is
  no loader, so ``include``/``import``/``extends`` fail.
- **Filters**: only ``FILTERS`` (no ``attr``, ``format``, ``center``, ``indent``,
  ``wordwrap``, ``map``); every filter result longer than the output limit is refused.
- **Operators**: ``*``, ``**``, ``+`` and ``%`` are intercepted: a string or list product
  or sum longer than the output limit, a power with a result over ``MAX_NUMBER`` digits,
  and ``%`` string formatting are refused (constant folding skips intercepted operators,
  so nothing runs at compile time either).
- **Time**: a budget of the render thread's CPU time (``TIME_BUDGET``, with a wall-clock
  cap of ``WALL_FACTOR`` times it) is checked on every call (macros included), attribute
  read, filter, range step and output chunk; a render past it stops with a
  ``TemplateRefused``. Macro recursion deeper than ``MAX_DEPTH`` is refused.
- **Output**: rendering is streamed and stops as soon as the output passes the kind's
  limit. Every printed value, every part of a ``~`` join (a code generator of our own)
  and every filter argument is measured first by ``estimate`` (walking lists instead of
  printing them), and ``replace`` computes its result's length before building it.
  Sources longer than ``MAX_SOURCE`` characters, or with brackets nested deeper
  than ``MAX_NESTING``, are refused before parsing (the parser recurses per bracket).
"""

from __future__ import annotations

import math
import operator
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from jinja2 import BaseLoader, TemplateError, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.environment import Template
from jinja2.filters import do_replace
from jinja2.runtime import Context, LoopContext, Macro, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from analytics.personalisation.tokens import Record

KINDS = ("subject", "body", "cta")
OUTPUT_LIMITS = {"subject": 500, "body": 200_000, "cta": 500}
MAX_SOURCE = 50_000
MAX_RANGE = 1_000
MAX_DEPTH = 20
MAX_NUMBER = 100  # digits
TIME_BUDGET = 0.02  # seconds of the render thread's CPU time
WALL_FACTOR = 10
MAX_NESTING = 40
LOOP_ATTRIBUTES = frozenset({"index", "index0", "revindex", "revindex0", "first", "last",
                             "length", "previtem", "nextitem", "depth", "depth0"})
FILTERS = ("default", "d", "upper", "lower", "title", "capitalize", "trim", "truncate",
           "round", "int", "float", "string", "e", "escape", "length", "count", "join",
           "first", "last", "replace", "abs", "striptags", "safe_text", "list", "sort",
           "unique", "min", "max", "sum", "reverse")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


class TemplateRefused(TemplateError):
    """A render stopped by the sandbox; the message says which limit and how to fix it."""


class _Budget:
    """The running render's deadlines, output limit and macro depth.

    The budget is the render thread's own CPU time (``time.thread_time``), so a render is
    not stopped because other processes share the machine; a wall-clock cap of
    ``WALL_FACTOR`` times the budget still bounds how long a thread can be held."""

    def __init__(self, seconds: float, limit: int) -> None:
        self.cpu_deadline = time.thread_time() + seconds
        self.wall_deadline = time.perf_counter() + seconds * WALL_FACTOR
        self.seconds = seconds
        self.limit = limit
        self.depth = 0

    def check(self) -> None:
        if (time.thread_time() > self.cpu_deadline
                or time.perf_counter() > self.wall_deadline):
            raise TemplateRefused(f"the render took longer than {self.seconds * 1000:.0f} ms "
                                  "and was stopped; remove the loops or recursion that "
                                  "repeat work")

    def size(self, value: Any) -> Any:
        if estimate(value, self.limit) > self.limit:
            raise TemplateRefused(f"a value passes the output limit of {self.limit} "
                                  "characters; shorten it")
        return value


class _Steps:
    """A capped range whose every step checks the render's deadline."""

    def __init__(self, steps: range, budget: _Budget) -> None:
        self.steps = steps
        self.budget = budget

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self) -> Iterator[int]:
        for value in self.steps:
            self.budget.check()
            yield value


def estimate(value: Any, limit: int) -> int:
    """The length of ``str(value)``, give or take, counted only up to just past ``limit``:
    lists, tuples and dicts are walked instead of printed, so
    a list of many references to one long string is measured without being built. Each
    item counts its quotes and separator, so the estimate is never below the printed
    length of plain text."""
    total = 0
    stack = [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, str | int | float | bool) or item is None:
            total += len(str(item)) if not isinstance(item, str) else len(item)
        elif isinstance(item, list | tuple):
            total += 2 + 4 * len(item)
            stack.extend(item)
        elif isinstance(item, dict):
            total += 2 + 8 * len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        else:
            total += 16  # a record, undefined or loop: printed short
    return total


class _CheckedConcat(CodeGenerator):
    """``a ~ b`` joins parts that passed the size check (Jinja's own join would print a
    huge list before anything could measure it)."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile:
            join = "(markup_join if context.eval_ctx.volatile else str_join)"
        elif frame.eval_ctx.autoescape:
            join = "markup_join"
        else:
            join = "str_join"
        self.write(f"{join}((")
        for part in node.nodes:
            self.write("environment.checked(")
            self.visit(part, frame)
            self.write("), ")
        self.write("))")


def check_shape(source: str) -> None:
    """Refuse a source too long, or with brackets nested too deep, to parse safely."""
    if len(source) > MAX_SOURCE:
        raise TemplateRefused(f"the template is {len(source)} characters long; keep it "
                              f"under {MAX_SOURCE}")
    depth = deepest = 0
    for char in source:
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth -= 1
    if deepest > MAX_NESTING:
        raise TemplateRefused(f"brackets nest {deepest} deep; keep them under {MAX_NESTING}")


class _NoLoader(BaseLoader):
    def get_source(self, environment: Any, template: str) -> tuple[str, str | None, Any]:
        raise TemplateRefused(f"templates cannot include, import or extend others "
                              f"({template!r}); put the text in this template")


def _plain(value: Any) -> Any:
    """Subject and call-to-action text: one line, no control characters (a newline in a
    subject would start a new mail header)."""
    if value is None or isinstance(value, Undefined):
        return ""
    return _CONTROL.sub(" ", str(value))


class Sandbox(ImmutableSandboxedEnvironment):
    """The environment for one template kind (``body`` escapes HTML; ``subject`` and
    ``cta`` are one-line plain text)."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = _CheckedConcat

    def __init__(self, kind: str) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown template kind {kind!r}; use one of {', '.join(KINDS)}")
        html = kind == "body"
        super().__init__(autoescape=html, finalize=self._shown if html else self._shown_plain,
                         undefined=Undefined, loader=_NoLoader(), auto_reload=False)
        self.kind = kind
        self.output_limit = OUTPUT_LIMITS[kind]
        # One environment serves every thread; each render keeps its own budget.
        self._local = threading.local()
        self.globals.clear()
        self.globals["range"] = self._range
        kept = {name: self.filters[name] for name in FILTERS if name in self.filters}
        kept["safe_text"] = _plain
        self.filters = {name: self._sized(function) for name, function in kept.items()}
        self.tests = {name: self.tests[name] for name in
                      ("defined", "undefined", "none", "number", "string", "even", "odd",
                       "divisibleby", "eq", "ne", "lt", "le", "gt", "ge", "in", "==", "!=",
                       "<", "<=", ">", ">=", "true", "false") if name in self.tests}

    @property
    def budget(self) -> _Budget:
        budget: _Budget | None = getattr(self._local, "budget", None)
        if budget is None:
            budget = self._local.budget = _Budget(TIME_BUDGET, self.output_limit)
        return budget

    def checked(self, value: Any) -> Any:
        """``value`` when printing it stays within the output limit (refused otherwise)."""
        self.budget.check()
        return self.budget.size(value)

    def _shown(self, value: Any) -> Any:
        return self.checked(value)

    def _shown_plain(self, value: Any) -> Any:
        return _plain(self.checked(value))

    def _sized(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def sized(*args: Any, **kwargs: Any) -> Any:
            for value in (*args, *kwargs.values()):
                if not isinstance(value, Context):
                    self.checked(value)
            if function is _REPLACE:
                self._check_replace(args)
            return self.budget.size(function(*args, **kwargs))

        for flag in ("jinja_pass_arg",):
            if hasattr(function, flag):
                setattr(sized, flag, getattr(function, flag))
        return sized

    def _check_replace(self, args: tuple[Any, ...]) -> None:
        # str.replace would build the whole result before anything could measure it.
        texts = [a for a in args if isinstance(a, str)]
        if len(texts) >= 3:
            text, old, new = texts[-3:]
            grows = (text.count(old) if old else len(text) + 1) * (len(new) - len(old))
            if len(text) + grows > self.output_limit:
                raise TemplateRefused(f"replace() would make {len(text) + grows} characters, "
                                      f"past the output limit of {self.output_limit}")

    def _range(self, *args: int) -> _Steps:
        steps = range(*args)
        if len(steps) > MAX_RANGE:
            raise TemplateRefused(f"range() of {len(steps)} items passes the limit of "
                                  f"{MAX_RANGE}")
        return _Steps(steps, self.budget)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        return False  # attribute reads go through getattr below, never the default path

    def getattr(self, obj: Any, attribute: str) -> Any:
        self.budget.check()
        if isinstance(obj, Record):
            if attribute not in obj.fields:
                raise TemplateRefused(f"{obj.namespace}.{attribute} is not a token; see the "
                                      f"{obj.namespace}.* fields in the token reference")
            value = obj.values[attribute]
            return self.undefined(name=f"{obj.namespace}.{attribute}") if value is None \
                else value
        if isinstance(obj, LoopContext) and attribute in LOOP_ATTRIBUTES:
            return getattr(obj, attribute)
        if isinstance(obj, Undefined):
            return obj
        raise TemplateRefused(f"reading .{attribute} of a {type(obj).__name__} is not "
                              "allowed; templates read only the documented tokens")

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(argument, str):
            return self.getattr(obj, argument)
        self.budget.check()
        if isinstance(obj, str | list | tuple) and isinstance(argument, int | slice):
            try:
                return obj[argument]
            except IndexError:
                return self.undefined(obj=obj, name=str(argument))
        raise TemplateRefused(f"indexing a {type(obj).__name__} is not allowed")

    def call(__self, __context: Context, __obj: Any, *args: Any,  # noqa: N805
             **kwargs: Any) -> Any:
        budget = __self.budget
        budget.check()
        if isinstance(__obj, Undefined):
            raise TemplateRefused(f"{__obj._undefined_name or 'this'} is not a function "
                                  "templates may call; they may call range() and their own "
                                  "macros")
        if not (isinstance(__obj, Macro) or __obj == __self._range):
            raise TemplateRefused(f"calling {getattr(__obj, '__name__', type(__obj).__name__)}"
                                  " is not allowed; templates may call range() and their "
                                  "own macros")
        budget.depth += 1
        try:
            if budget.depth > MAX_DEPTH:
                raise TemplateRefused(f"macros nested deeper than {MAX_DEPTH} calls; "
                                      "remove the recursion")
            return budget.size(__context.call(__obj, *args, **kwargs))
        finally:
            budget.depth -= 1

    def call_binop(self, context: Context, operator_: str, left: Any, right: Any) -> Any:
        self.budget.check()
        if operator_ == "%" and isinstance(left, str):
            raise TemplateRefused("% string formatting is not allowed; join text with ~")
        if operator_ == "**":
            if not (isinstance(left, int | float) and isinstance(right, int | float)):
                raise TemplateRefused("** needs two numbers")
            digits = abs(right) * math.log10(abs(left)) if abs(left) > 1 else 0.0
            if digits > MAX_NUMBER:
                raise TemplateRefused(f"{left} ** {right} has more than {MAX_NUMBER} digits")
            return left ** right
        if operator_ == "*":
            self._check_product(left, right)
        result = _BINOPS[operator_](left, right)
        return self.budget.size(result)

    def _check_product(self, left: Any, right: Any) -> None:
        for one, other in ((left, right), (right, left)):
            if (isinstance(one, str | list | tuple) and isinstance(other, int)
                    and estimate(one, self.output_limit) * other > self.output_limit):
                raise TemplateRefused(f"repeating a value {other} times passes the output "
                                      f"limit of {self.output_limit}")
        if any(isinstance(x, int) and abs(x) > 10 ** MAX_NUMBER for x in (left, right)):
            raise TemplateRefused(f"numbers over {MAX_NUMBER} digits are not allowed")

    def compile_source(self, source: str) -> Template:
        """``source`` compiled (raises ``TemplateRefused`` when it is too long, and Jinja's
        ``TemplateSyntaxError`` when it does not parse)."""
        check_shape(source)
        try:
            return self.from_string(source)
        except (RecursionError, SyntaxError):
            # Python's own limits: recursion in the compiler, or over 100 nested blocks.
            raise TemplateRefused("the template nests too deeply to compile; flatten its "
                                  "blocks") from None

    def render_stream(self, template: Template, context: Mapping[str, Any],
                      seconds: float = TIME_BUDGET) -> str:
        """``template`` rendered with ``context`` within ``seconds`` and the kind's output
        limit (raises ``TemplateRefused`` past either)."""
        self._local.budget = _Budget(seconds, self.output_limit)
        parts: list[str] = []
        length = 0
        try:
            for chunk in template.generate(dict(context)):
                length += len(chunk)
                if length > self.output_limit:
                    raise TemplateRefused(f"the output passes the {self.kind} limit of "
                                          f"{self.output_limit} characters; shorten it")
                self.budget.check()
                parts.append(chunk)
        except RecursionError:
            raise TemplateRefused("the template recursed too deeply") from None
        except MemoryError:
            raise TemplateRefused("the render ran out of memory and was stopped") from None
        text = "".join(parts)
        return text if self.kind == "body" else _plain(text).strip()


_REPLACE = do_replace
_BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "*": operator.mul, "**": operator.pow, "+": operator.add, "%": operator.mod,
}
