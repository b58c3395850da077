"""The sandbox for templates that users write (webhook intake today; messages and automation
later), with a budget so that one tenant's template cannot cost the others.

Jinja2's immutable sandbox keeps templates away from Python's internals; it does not bound
what they cost. `{{ "x".ljust(1000000000) }}` builds a gigabyte in one call and nested loops
that print nothing run for seconds, while a check of the output comes too late for both. So:

- sizes are bounded **before** a value is built: str methods that pad, repeat or expand
  (ljust, rjust, center, zfill, expandtabs, replace, join, translate, format widths), the `%`,
  `*`, `+` and `~` operators, the filters that do the same, `range()`, big integers, and what
  is printed (a list holding one big string many times would otherwise be built on output);
- every render has a `Budget`: loop iterations are counted (each `for` is wrapped at compile
  time) and the thread's CPU time is checked at every loop step, call, attribute and output;
- past any limit the render stops with `BudgetExceeded`, whose message says which limit.

Render only through `sandbox_render`: it installs the budget that the checks draw on.
"""

from __future__ import annotations

import json
import re
import string
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from functools import lru_cache, update_wrapper
from typing import Any

from jinja2 import ChainableUndefined, Template, Undefined, nodes
from jinja2.runtime import Context, LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.utils import Namespace
from jinja2.visitor import NodeTransformer

OUTPUT_LIMIT = 64 * 1024  # characters one render may output
VALUE_LIMIT = 1024 * 1024  # size of one value a template builds (above the 512 KB body limit)
BUILD_LIMIT = 16 * 1024 * 1024  # characters built per budget, all values together
LOOP_LIMIT = 10_000  # loop iterations per budget
CPU_SECONDS = 0.2  # CPU time per budget (a 512 KB payload weighs in about 0.04 s)
RANGE_LIMIT = 1000
INT_BITS = 4096
_INDENT_LIMIT = 16
_LOOP_FILTER, _CONCAT_FILTER = "_budget_loop", "_budget_concat"


class BudgetExceeded(SecurityError):
    """A template went past one of its limits; the message names the limit."""


class Budget:
    """What one render (or one event's renders together) may spend."""

    def __init__(self, *, cpu_seconds: float = CPU_SECONDS, loop_iterations: int = LOOP_LIMIT) -> None:
        self.cpu_seconds = cpu_seconds
        self.deadline = time.thread_time() + cpu_seconds
        self.iterations_left = loop_iterations
        self.loop_iterations = loop_iterations
        self.built = 0

    def tick(self) -> None:
        if time.thread_time() > self.deadline:
            raise BudgetExceeded(f"the template used more than {self.cpu_seconds:g} s of CPU time")

    def iterate(self) -> None:
        self.iterations_left -= 1
        if self.iterations_left < 0:
            raise BudgetExceeded(f"the template's loops ran more than {self.loop_iterations:,} times")
        self.tick()


_current: ContextVar[Budget | None] = ContextVar("sandbox_budget", default=None)


def _budget() -> Budget:
    budget = _current.get()
    if budget is None:
        raise SecurityError("templates are rendered through sandbox_render only")
    return budget


def weight(value: Any, limit: int = VALUE_LIMIT) -> int:
    """About how many characters `value` takes when printed; counting stops past `limit`.
    Exact types first: this runs on every filter input, payloads included."""
    total, stack = 0, [value]
    pop, extend = stack.pop, stack.extend
    while stack and total <= limit:
        item = pop()
        kind = type(item)
        if kind is str or kind is bytes:
            total += len(item)
        elif kind is list or kind is tuple:
            total += 2 * len(item)
            extend(item)
        elif kind is dict:
            total += 2 * len(item)
            extend(item.keys())
            extend(item.values())
        elif kind is int:
            total += item.bit_length() // 3 + 1
        elif kind is float or kind is bool or item is None:
            total += 8
        elif isinstance(item, str | bytes):
            total += len(item)
        elif isinstance(item, Mapping):
            total += 2 * len(item)
            extend(item.keys())
            extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            total += 2 * len(item)
            extend(item)
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 1
        elif isinstance(item, Namespace):  # prints what it holds
            total += 24
            extend(item._Namespace__attrs.values())
        elif not isinstance(item, Undefined):  # Jinja's helpers, other numbers
            total += 24
    return total


def _spend(size: int, what: str) -> None:
    """Refuse to build a value over VALUE_LIMIT, or past the budget's BUILD_LIMIT in all."""
    if size > VALUE_LIMIT:
        raise BudgetExceeded(f"{what} would be larger than {VALUE_LIMIT // 1024} KB")
    budget = _budget()
    budget.built += size
    if budget.built > BUILD_LIMIT:
        raise BudgetExceeded(f"the template built more than {BUILD_LIMIT // (1024 * 1024)} MB of text")
    budget.tick()


def _percent_size(fmt: str, values: Any) -> int:
    """An upper bound of `fmt % values`."""
    specs = re.findall(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[a-zA-Z%]", fmt)
    if any("*" in spec for spec in specs):
        raise BudgetExceeded("'*' widths in % formatting are not allowed in templates")
    widths = sum(int(number or 0) for spec in specs for number in spec)
    return len(fmt) + widths + len(specs) * (weight(values) + 32)


def _format_size(fmt: str, args: Any, kwargs: Any) -> int:
    """An upper bound of `fmt.format(*args, **kwargs)`."""
    size, each = len(fmt), weight((args, kwargs)) + 32
    try:
        fields = [spec for _, name, spec, _ in string.Formatter().parse(fmt) if name is not None]
    except ValueError:
        return size  # malformed: format() itself refuses it
    for spec in fields:
        if "{" in (spec or ""):
            raise BudgetExceeded("nested format fields are not allowed in templates")
        size += each + sum(int(number) for number in re.findall(r"\d+", spec or ""))
    return size


def _str_method_size(owner: str | bytes, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    """An upper bound of what the str (or bytes) method `name` would build; 0 when it cannot grow."""
    first = args[0] if args else next(iter(kwargs.values()), None)
    text: Any = owner  # str or bytes alike; the methods below take arguments of its own type
    if name in ("ljust", "rjust", "center", "zfill"):
        return first if isinstance(first, int) else 0
    if name == "expandtabs":
        tab = "\t" if isinstance(owner, str) else b"\t"
        return len(owner) + text.count(tab) * (first if isinstance(first, int) else 8)
    if name == "replace" and len(args) >= 2 and type(args[0]) is type(args[1]) is type(owner):
        found = text.count(args[0]) if args[0] else len(owner) + 1
        return len(owner) + found * max(len(args[1]) - len(args[0]), 0)
    if name == "join":
        return weight(first) + len(owner) * len(first) if isinstance(first, list | tuple) else 0
    if name == "translate" and isinstance(first, Mapping):
        return len(owner) * max([weight(value) for value in first.values()] + [1])
    if name in ("format", "format_map") and isinstance(owner, str):
        return _format_size(owner, args, kwargs)
    return 0


def _loop(iterable: Iterable[Any]) -> Iterator[Any]:
    """Every `for` of a template iterates through this (wrapped in at compile time)."""
    budget = _budget()
    for item in iterable:
        budget.iterate()
        yield item


def _concat(values: list[Any]) -> str:
    """The `~` operator, bounded before the string is built."""
    _spend(sum(weight(value) for value in values), "joining with ~")
    return "".join(str(value) for value in values)


class _Budgeted(NodeTransformer):
    """Rewrites a parsed template so that loops count and `~` is checked."""

    def visit_For(self, node: nodes.For) -> nodes.Node:  # noqa: N802 (Jinja's visitor naming)
        self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, _LOOP_FILTER, [], [], None, None, lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:  # noqa: N802
        self.generic_visit(node)
        items = nodes.List(node.nodes, lineno=node.lineno)
        return nodes.Filter(items, _CONCAT_FILTER, [], [], None, None, lineno=node.lineno)


def _tojson(value: Any, indent: int | None = None) -> str:
    """JSON of a value; a missing one is null (Jinja's own filter fails on it)."""
    if indent is not None and not 0 <= indent <= _INDENT_LIMIT:
        raise BudgetExceeded(f"tojson's indent is limited to {_INDENT_LIMIT}")
    return json.dumps(
        None if isinstance(value, Undefined) else value, indent=indent, default=str, ensure_ascii=False
    )


def _small_range(*args: int) -> range:
    values = range(*args)
    if len(values) > RANGE_LIMIT:
        raise BudgetExceeded(f"range() is limited to {RANGE_LIMIT:,} items in templates")
    return values


def _number(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


# Filters that can build more than they are given: an upper bound of their result from
# (value, the other arguments). Every filter's input is weighed too (see `_bounded`).
_FILTER_SIZES: dict[str, Callable[[Any, list[Any]], int]] = {
    "center": lambda value, args: _number(args[0] if args else 80, 80),
    "indent": lambda value, args: (
        weight(value) + (str(value).count("\n") + 1) * _number(args[0] if args else 4, 4)
    ),
    "format": lambda value, args: _percent_size(str(value), tuple(args)),
    "replace": lambda value, args: _str_method_size(str(value), "replace", tuple(args[:2]), {}),
    "wordwrap": lambda value, args: weight(value) * (2 + len(str(args[2]) if len(args) > 2 else "")),
    "batch": lambda value, args: _number(args[0] if args else 0, 0) * (weight(args[1:]) + 2),
    "slice": lambda value, args: _number(args[0] if args else 0, 0) * 64 + weight(value),
    "join": lambda value, args: weight(value) + len(str(args[0]) if args else "") * len(value),
}


def _bounded(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """`func` (a filter) refusing inputs over VALUE_LIMIT and results past the budget."""
    estimate = _FILTER_SIZES.get(name)

    offset = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0  # context or environment first

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        plain = list(args[offset:])
        if plain and isinstance(plain[0], Iterator):  # a generator from another filter: weigh it once
            plain[0] = list(plain[0])
            args = (*args[:offset], *plain)
        if name == "sum" and not isinstance(
            kwargs.get("start", plain[2] if len(plain) > 2 else 0), int | float
        ):
            raise BudgetExceeded("the sum filter adds numbers only in templates")
        _spend(sum(weight(value) for value in (*plain, *kwargs.values())), f"the {name} filter's input")
        if estimate is not None and plain:
            _spend(estimate(plain[0], [*plain[1:], *kwargs.values()]), f"the {name} filter's result")
        return func(*args, **kwargs)

    return update_wrapper(wrapper, func)  # keeps Jinja's pass_context/pass_environment marks


class Sandbox(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox with every cost bounded (see the module's docstring)."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self) -> None:
        super().__init__(autoescape=False, undefined=ChainableUndefined, finalize=_finalize)
        self.globals.pop("lipsum", None)  # text generation by the kilobyte is not what templates need
        self.globals["range"] = _small_range
        self.filters["tojson"] = _tojson
        self.filters = {name: _bounded(name, func) for name, func in self.filters.items()}
        self.filters[_LOOP_FILTER] = _loop
        self.filters[_CONCAT_FILTER] = _concat

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        template = _Budgeted().visit(super()._parse(source, name, filename))
        assert isinstance(template, nodes.Template)  # noqa: S101 (the transformer keeps the root)
        return template

    def getattr(self, obj: Any, attribute: str) -> Any:
        _budget().tick()
        return super().getattr(obj, attribute)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _budget().tick()
        if operator == "**" and isinstance(right, int | float):
            if abs(right) > 64:
                raise BudgetExceeded("exponents above 64 are not allowed in templates")
            if isinstance(left, int) and left.bit_length() * abs(right) > INT_BITS:
                raise BudgetExceeded(f"numbers are limited to {INT_BITS} bits in templates")
        if operator == "*":
            if (
                isinstance(left, int)
                and isinstance(right, int)
                and left.bit_length() + right.bit_length() > INT_BITS
            ):
                raise BudgetExceeded(f"numbers are limited to {INT_BITS} bits in templates")
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, str | bytes | list | tuple) and isinstance(times, int):
                    _spend(weight(seq) * max(times, 0), "repeating a value")
        if operator == "+" and isinstance(left, str | bytes | list | tuple):
            _spend(weight(left) + weight(right), "adding")
        if operator == "%" and isinstance(left, str):
            _spend(_percent_size(left, right), "% formatting")
        return super().call_binop(context, operator, left, right)

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        target = getattr(obj, "__wrapped__", obj)  # str.format comes wrapped by the sandbox
        owner, name = getattr(target, "__self__", None), getattr(target, "__name__", "")
        if isinstance(owner, str | bytes):
            if name == "join" and args and not isinstance(args[0], list | tuple):
                args = (list(args[0]), *args[1:])
            _spend(_str_method_size(owner, name, args, kwargs), f"str.{name}()")
        else:
            _budget().tick()
        if isinstance(obj, LoopContext) and args:  # the next level of a recursive loop
            args = (_loop(args[0]), *args[1:])
        return super().call(context, obj, *args, **kwargs)


def _finalize(value: Any) -> Any:
    """Every printed value, weighed before it is turned into text."""
    if weight(value, OUTPUT_LIMIT) > OUTPUT_LIMIT:
        raise BudgetExceeded(f"the output is longer than {OUTPUT_LIMIT // 1024} KB")
    return value


_sandbox = Sandbox()


@lru_cache(maxsize=512)
def sandbox_compile(source: str) -> Template:
    """The compiled template (shared, from a bounded cache); TemplateSyntaxError if invalid."""
    return _sandbox.from_string(source)


def sandbox_render(template: Template, context: Mapping[str, Any], *, budget: Budget | None = None) -> str:
    """The template's output for `context`, stripped, within `budget` (a fresh one if None)."""
    budget = budget if budget is not None else Budget()
    token = _current.set(budget)
    try:
        parts: list[str] = []
        size = 0
        for chunk in template.generate(context):
            size += len(chunk)
            if size > OUTPUT_LIMIT:
                raise BudgetExceeded(f"the output is longer than {OUTPUT_LIMIT // 1024} KB")
            budget.tick()
            parts.append(chunk)
        return "".join(parts).strip()
    finally:
        _current.reset(token)
