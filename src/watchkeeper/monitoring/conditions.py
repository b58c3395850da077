"""Gatus-style conditions: `[STATUS] == 200`, `[RESPONSE_TIME] < 300`, `[BODY].status == UP`,
`[CERTIFICATE_EXPIRATION] > 72h`, `len([BODY].items) > 0`, `[BODY] == pat(*ok*)`.

Parsed when a monitor is saved (`conditions_check`, which names the condition and what is wrong
with it) and evaluated against each result (`condition_holds`). Evaluation costs at most a walk
down a parsed JSON document; no user text is ever compiled into a regex here (pat() is a glob,
matched by fnmatch on at most BODY_LIMIT characters).
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass
from typing import Any

from watchkeeper.core.errors import InvalidInput

OPERATORS = ("==", "!=", "<=", ">=", "<", ">")
MAX_CONDITIONS = 20
MAX_LENGTH = 300

# Which placeholders each kind of monitor produces.
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "http": frozenset({"STATUS", "RESPONSE_TIME", "BODY", "CONNECTED", "IP", "CERTIFICATE_EXPIRATION"}),
    "tcp": frozenset({"CONNECTED", "RESPONSE_TIME", "IP"}),
    "dns": frozenset({"BODY", "DNS_RCODE", "RESPONSE_TIME", "CONNECTED"}),
    "tls": frozenset({"CONNECTED", "RESPONSE_TIME", "CERTIFICATE_EXPIRATION", "IP"}),
    "smtp": frozenset({"CONNECTED", "RESPONSE_TIME", "BODY", "STATUS", "IP"}),
    "ping": frozenset({"CONNECTED", "RESPONSE_TIME", "IP"}),
}
NUMERIC = frozenset({"STATUS", "RESPONSE_TIME", "CERTIFICATE_EXPIRATION"})
_SIDE = re.compile(r"^(?:(len|has)\()?\[([A-Z_]+)\]((?:\.[\w-]+|\[\d+\])*)\)?$")
_PATH_PART = re.compile(r"\.([\w-]+)|\[(\d+)\]")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d)$")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}


@dataclass(frozen=True)
class Condition:
    text: str
    function: str  # "", "len" or "has"
    placeholder: str
    path: tuple[str | int, ...]
    operator: str
    expected: str


def _split(text: str) -> tuple[str, str, str] | None:
    for operator in OPERATORS:
        left, found, right = text.partition(f" {operator} ")
        if found:
            return left.strip(), operator, right.strip()
    for operator in OPERATORS:  # without spaces: "[STATUS]==200"
        left, found, right = text.partition(operator)
        if found:
            return left.strip(), operator, right.strip()
    return None


def duration_ms(text: str) -> float | None:
    """ "72h" → 259200000; "300ms" → 300; a bare number is milliseconds."""
    match = _DURATION.match(text.strip())
    if match:
        return float(match.group(1)) * _UNIT_MS[match.group(2)]
    try:
        return float(text)
    except ValueError:
        return None


def condition_parse(text: str, *, kind: str) -> Condition:
    """One condition, or InvalidInput saying what is wrong with it."""
    text = text.strip()
    if not text:
        raise InvalidInput("A condition is empty.", field="conditions")
    if len(text) > MAX_LENGTH:
        raise InvalidInput(f"'{text[:40]}…' is longer than {MAX_LENGTH} characters.", field="conditions")
    parts = _split(text)
    if parts is None:
        raise InvalidInput(
            f"'{text}' has no comparison: write it as [PLACEHOLDER] OPERATOR VALUE, "
            f"with one of {' '.join(OPERATORS)} (for example [STATUS] == 200).",
            field="conditions",
        )
    left, operator, right = parts
    match = _SIDE.match(left)
    if match is None:
        raise InvalidInput(
            f"'{text}': the left side must be a placeholder such as [STATUS], [BODY].status or "
            "len([BODY].items).",
            field="conditions",
        )
    function, placeholder, path_text = match.group(1) or "", match.group(2), match.group(3)
    allowed = PLACEHOLDERS.get(kind, frozenset())
    if placeholder not in allowed:
        raise InvalidInput(
            f"'{text}': a {kind} monitor has no [{placeholder}]; it has "
            f"{', '.join(f'[{p}]' for p in sorted(allowed))}.",
            field="conditions",
        )
    if path_text and placeholder != "BODY":
        raise InvalidInput(f"'{text}': only [BODY] has fields (like [BODY].status).", field="conditions")
    path: tuple[str | int, ...] = tuple(
        int(index) if index else key for key, index in _PATH_PART.findall(path_text)
    )
    if not right:
        raise InvalidInput(f"'{text}' has nothing to compare with.", field="conditions")
    if operator in {"<", "<=", ">", ">="} and not function:
        if placeholder == "CERTIFICATE_EXPIRATION":
            if duration_ms(right) is None:
                raise InvalidInput(
                    f"'{text}': compare the certificate's remaining time with a duration "
                    "such as 72h, 30d or 90m.",
                    field="conditions",
                )
        elif placeholder in NUMERIC and _number(right) is None:
            raise InvalidInput(f"'{text}': '{right}' is not a number.", field="conditions")
    if function == "len" and _number(right) is None:
        raise InvalidInput(f"'{text}': len() is compared with a number.", field="conditions")
    if function == "has" and right not in {"true", "false"}:
        raise InvalidInput(f"'{text}': has() is compared with true or false.", field="conditions")
    return Condition(text, function, placeholder, path, operator, right)


def conditions_check(texts: Any, *, kind: str) -> list[str]:
    """The monitor's conditions, cleaned; InvalidInput on the first that does not parse."""
    if texts in (None, ""):
        return []
    if isinstance(texts, str):
        texts = [line for line in texts.splitlines() if line.strip()]
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise InvalidInput("Conditions are a list of texts, one condition each.", field="conditions")
    if len(texts) > MAX_CONDITIONS:
        raise InvalidInput(f"At most {MAX_CONDITIONS} conditions per monitor.", field="conditions")
    cleaned = [t.strip() for t in texts if t.strip()]
    for text in cleaned:
        condition_parse(text, kind=kind)
    return cleaned


def _number(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _walk(value: Any, path: tuple[str | int, ...]) -> tuple[bool, Any]:
    for step in path:
        if isinstance(step, int):
            if not isinstance(value, list) or step >= len(value):
                return False, None
            value = value[step]
        else:
            if not isinstance(value, dict) or step not in value:
                return False, None
            value = value[step]
    return True, value


def _body_value(values: dict[str, Any], path: tuple[str | int, ...]) -> tuple[bool, Any]:
    body = values.get("BODY")
    if not path:
        return body is not None, body
    document = values.get("_json")
    if document is None and isinstance(body, str):
        try:
            document = json.loads(body)
        except ValueError:
            return False, None
        values["_json"] = document
    return _walk(document, path)


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return "" if value is None else str(value)


def _equal(actual: Any, expected: str) -> bool:
    if expected.startswith("pat(") and expected.endswith(")"):
        return fnmatch.fnmatchcase(_as_text(actual), expected[4:-1])
    if expected.startswith("any(") and expected.endswith(")"):
        return any(_equal(actual, option.strip()) for option in expected[4:-1].split(","))
    number = _number(expected)
    if number is not None and not isinstance(actual, bool):
        actual_number = _number(_as_text(actual))
        if actual_number is not None:
            return actual_number == number
    return _as_text(actual) == expected


def condition_holds(condition: Condition, values: dict[str, Any]) -> bool:
    """Whether the condition holds for one result's values (placeholder → value)."""
    if condition.placeholder == "BODY":
        found, actual = _body_value(values, condition.path)
    else:
        found, actual = condition.placeholder in values, values.get(condition.placeholder)
    if condition.function == "has":
        return found == (condition.expected == "true")
    if not found or actual is None:
        return condition.operator == "!=" and condition.function == ""
    if condition.function == "len":
        actual = len(actual) if isinstance(actual, list | dict | str) else len(_as_text(actual))
    operator, expected = condition.operator, condition.expected
    if operator in {"==", "!="}:
        return _equal(actual, expected) == (operator == "==")
    if condition.placeholder == "CERTIFICATE_EXPIRATION" and not condition.function:
        limit = duration_ms(expected)
    else:
        limit = _number(expected)
    value = _number(_as_text(actual))
    if value is None or limit is None:
        return False
    return {"<": value < limit, "<=": value <= limit, ">": value > limit, ">=": value >= limit}[operator]


def conditions_failed(texts: list[str], *, kind: str, values: dict[str, Any]) -> list[str]:
    """The conditions (as written) that do not hold; [] when the result is up."""
    failed: list[str] = []
    for text in texts:
        try:
            condition = condition_parse(text, kind=kind)
        except InvalidInput:
            failed.append(text)
            continue
        if not condition_holds(condition, values):
            failed.append(text)
    return failed
