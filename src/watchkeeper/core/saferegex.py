"""Regular expressions that users write (event rules, e-mail rules), run in linear time.

Python's `re` backtracks: `^(a+)+$` against 28 characters took seconds and held the engine and
SQLite's write lock for every client. RE2 matches in time linear in the text and never
backtracks, so one tenant's pattern cannot slow the others. The price is a dialect without
backreferences, lookarounds, atomic groups, possessive quantifiers and conditionals: a pattern
that uses one is refused when it is saved, with a message naming the construct.

Every user-supplied pattern is compiled and matched through this module only; the compiled
patterns are shared through a bounded cache, and each one's memory is capped (`MAX_MEMORY`).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Protocol

import re2

MAX_PATTERN_LENGTH = 1000  # callers keep their own, smaller caps; this is the module's floor
# RE2 bounds each compiled program (and its lazily built DFA) to this many bytes; a pattern
# that needs more is refused instead of growing the process.
MAX_MEMORY = 1 << 20
_CACHE_SIZE = 512

# What RE2 reports → what the user wrote, and what to do instead.
_PERL_OPERATORS = (
    ("(?=", "lookahead (?=…)"),
    ("(?!", "negative lookahead (?!…)"),
    ("(?<=", "lookbehind (?<=…)"),
    ("(?<!", "negative lookbehind (?<!…)"),
    ("(?>", "atomic group (?>…)"),
    ("(?(", "conditional (?(…)…)"),
    ("(?P=", "named backreference (?P=…)"),
    ("(?x", "verbose flag (?x)"),
)
_BACKREFERENCE = re.compile(r"invalid escape sequence: \\([1-9]|k)")


class RegexError(ValueError):
    """A pattern that RE2 cannot run; the message says why, naming the construct."""


class Match(Protocol):
    def group(self, *groups: int | str) -> Any: ...

    def groupdict(self) -> dict[str, str | None]: ...


class Pattern(Protocol):
    @property
    def groups(self) -> int: ...

    def search(self, text: str) -> Match | None: ...

    def sub(self, repl: str, text: str) -> str: ...


def _explain(message: str, pattern: str) -> str:
    """RE2's parse error in the user's terms."""
    unsupported = "is not supported: regexes run on RE2, which matches in linear time and has no"
    for operator, name in _PERL_OPERATORS:
        if f"invalid perl operator: {operator}" in message or (
            operator == "(?P=" and "(?P=" in pattern and "invalid perl operator: (?P" in message
        ):
            return f"the {name} {unsupported} lookarounds, backreferences or atomic groups"
    if _BACKREFERENCE.search(message):
        return f"a backreference (\\1, \\k<…>) {unsupported} backreferences; match the text itself"
    if "invalid escape sequence: \\Z" in message:
        return "\\Z is not supported: use \\z (end of text) or $"
    if message.startswith("bad repetition operator") and message[-1:] == "+":
        return f"a possessive quantifier (*+, ++, ?+) {unsupported} possessive quantifiers"
    if "invalid repetition size" in message:
        return "a repeat count above 1000 is not supported: use + or * instead"
    if "pattern too large" in message:
        return f"the pattern is too large to run safely (over {MAX_MEMORY // 1024} KB compiled)"
    return f"it is not a valid regular expression: {message}"


@lru_cache(maxsize=_CACHE_SIZE)
def _compile(pattern: str, ignore_case: bool) -> Pattern:
    options = re2.Options()
    options.max_mem = MAX_MEMORY
    options.case_sensitive = not ignore_case
    options.log_errors = False  # refusals are answered to the user, not logged by the C++ side
    try:
        compiled: Pattern = re2.compile(pattern, options)
    except re2.error as exc:
        raw = exc.args[0] if exc.args else ""
        message = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        raise RegexError(_explain(message, pattern)) from None
    return compiled


def regex_compile(pattern: str, *, ignore_case: bool = False) -> Pattern:
    """The compiled pattern (shared, from a bounded cache); RegexError says why it cannot run."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise RegexError(f"the pattern is longer than {MAX_PATTERN_LENGTH} characters")
    return _compile(pattern, ignore_case)


def regex_problem(pattern: str, *, ignore_case: bool = False) -> str | None:
    """Why the pattern cannot be used, or None. For validation at save."""
    try:
        regex_compile(pattern, ignore_case=ignore_case)
    except RegexError as exc:
        return str(exc)
    return None


def regex_cache_clear() -> None:
    _compile.cache_clear()
