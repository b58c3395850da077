"""Reading and writing the policy as YAML.

Parsing works on PyYAML's node tree (`yaml.compose`) rather than on constructed Python
objects, because only nodes know their line: every error names the line and the field
path, e.g. "line 12: matrix.high.low: unknown priority 'P9' (known: P1, …)".
Nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Literal, cast

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from watchkeeper.core.errors import InvalidInput
from watchkeeper.policy.documents import (
    SEVERITIES,
    PolicyDocument,
    ReviewRulesDoc,
    default_review_rules,
    normalise_text,
)

HEADER = (
    "# Watchkeeper incident policy. Edit it, then load it with `watchkeeper policy import FILE`\n"
    "# or the upload form on the Policy page. Comments are not kept.\n"
)

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CORE_TAG = "tag:yaml.org,2002:"
_NULL = _CORE_TAG + "null"
# Plain YAML scalars only: a file with !!python/… or custom tags is refused, not interpreted.
_SCALAR_TAGS = frozenset(_CORE_TAG + name for name in ("str", "int", "float", "bool", "null", "timestamp"))


class PolicyFileError(InvalidInput):
    """A policy file that cannot be imported; str() is "line N: field.path: problem"."""

    def __init__(self, line: int, path: str, problem: str) -> None:
        self.line, self.path, self.problem = line, path, problem
        where = f"line {line}: {path}: " if path else f"line {line}: "
        super().__init__(where + problem, field=path or None)


# --- writing ------------------------------------------------------------------------------


class _Row(dict[str, str]):
    """A matrix row: written on one line so the matrix reads like the table it is."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent list items under their key; PyYAML's default puts "- " at the key's column.
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar(_CORE_TAG + "str", value, style=style)


def _represent_row(dumper: yaml.SafeDumper, value: _Row) -> yaml.MappingNode:
    return dumper.represent_mapping(_CORE_TAG + "map", value, flow_style=True)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(_Row, _represent_row)


def policy_yaml_dump(document: PolicyDocument) -> str:
    """Canonical YAML for a canonical document: same document, same bytes."""
    data: dict[str, Any] = dict(document)
    data["matrix"] = {impact: _Row(row) for impact, row in document["matrix"].items()}
    body = yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
    )
    return HEADER + body


# --- reading: node helpers ----------------------------------------------------------------


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return "nothing" if node.tag == _NULL else f"'{node.value}'"


def _scalar(node: Node, path: str, expected: str) -> str | None:
    """The scalar's text, or None for null; anything else is a type error."""
    if not isinstance(node, ScalarNode):
        raise PolicyFileError(_line(node), path, f"expected {expected}, got {_kind(node)}")
    if node.tag not in _SCALAR_TAGS:
        raise PolicyFileError(_line(node), path, f"unsupported YAML tag {node.tag}")
    return None if node.tag == _NULL else str(node.value)


Entries = dict[str, tuple[ScalarNode, Node]]


def _entries(
    node: Node, path: str, *, required: tuple[str, ...] = (), allowed: tuple[str, ...] = ()
) -> Entries:
    """A mapping's entries by key. Refuses duplicates, keys outside `allowed` (when given)
    and missing `required` keys."""
    if not isinstance(node, MappingNode):
        raise PolicyFileError(_line(node), path, f"expected a mapping, got {_kind(node)}")
    entries: Entries = {}
    for key_node, value_node in node.value:
        key = _scalar(key_node, path, "a plain key")
        child = _join(path, str(key))
        if key is None or not isinstance(key_node, ScalarNode):
            raise PolicyFileError(_line(key_node), path, "a key is empty")
        if key in entries:
            first = _line(entries[key][0])
            raise PolicyFileError(_line(key_node), child, f"duplicate key (already on line {first})")
        if allowed and key not in allowed:
            raise PolicyFileError(_line(key_node), child, f"unknown key (expected: {', '.join(allowed)})")
        entries[key] = (key_node, value_node)
    for key in required:
        if key not in entries:
            raise PolicyFileError(_line(node), _join(path, key), "required key is missing")
    return entries


# --- reading: fields ----------------------------------------------------------------------

Kind = Literal["line", "text", "key", "date", "days", "flag"]


@dataclass(frozen=True)
class _Field:
    name: str
    kind: Kind
    required: bool = True
    max_length: int = 100


def _line_value(field: _Field, node: Node, path: str) -> str:
    text = (_scalar(node, path, "text") or "").strip()
    if not text and field.required:
        raise PolicyFileError(_line(node), path, "must not be empty")
    if "\n" in text:
        raise PolicyFileError(_line(node), path, "must be a single line")
    if len(text) > field.max_length:
        raise PolicyFileError(_line(node), path, f"too long (at most {field.max_length} characters)")
    return text


def _key_value(node: Node, path: str) -> str:
    text = (_scalar(node, path, "a key") or "").strip()
    if not _KEY.match(text):
        problem = f"'{text}' is not a valid key (letters, digits, '-' or '_', up to 40 characters)"
        raise PolicyFileError(_line(node), path, problem)
    return text


def _date_value(node: Node, path: str) -> dt.date | None:
    text = _scalar(node, path, "a date")
    if text is None:
        return None
    try:
        if not _DATE.match(text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise PolicyFileError(
            _line(node), path, f"expected an ISO date such as 2026-03-31, got '{text}'"
        ) from None


def _days_value(node: Node, path: str) -> int:
    text = _scalar(node, path, "a whole number of days")
    if text is None or not text.isdigit():  # quoted "90" is accepted; 9.5, -3 and 1_000 are not
        raise PolicyFileError(_line(node), path, f"expected a whole number of days, got {_kind(node)}")
    days = int(text)
    if not 1 <= days <= 3660:
        raise PolicyFileError(_line(node), path, "must be between 1 and 3660 days")
    return days


def _flag_value(node: Node, path: str) -> bool:
    text = _scalar(node, path, "true or false")
    if node.tag != _CORE_TAG + "bool" or text is None:
        raise PolicyFileError(_line(node), path, f"expected true or false, got {_kind(node)}")
    return text.lower() in {"true", "yes", "on"}


def _value(field: _Field, node: Node | None, path: str) -> Any:
    """The field's value from its node; a missing optional field gets its empty default (a
    flag: on, what a file written before the flag existed meant)."""
    if node is None:
        return {"date": None, "flag": True}.get(field.kind, "")
    if field.kind == "flag":
        return _flag_value(node, path)
    if field.kind == "line":
        return _line_value(field, node, path)
    if field.kind == "key":
        return _key_value(node, path)
    if field.kind == "date":
        return _date_value(node, path)
    if field.kind == "days":
        return _days_value(node, path)
    text = _scalar(node, path, "text") or ""
    if not text.strip() and field.required:
        raise PolicyFileError(_line(node), path, "must not be empty")
    return normalise_text(text)


def _record(node: Node, path: str, fields: tuple[_Field, ...]) -> tuple[dict[str, Any], Entries]:
    names = tuple(field.name for field in fields)
    required = tuple(field.name for field in fields if field.required)
    entries = _entries(node, path, required=required, allowed=names)
    values = {}
    for field in fields:
        found = entries.get(field.name)
        values[field.name] = _value(field, found[1] if found else None, _join(path, field.name))
    return values, entries


def _records(
    node: Node, path: str, fields: tuple[_Field, ...], *, minimum: int = 0
) -> list[tuple[dict[str, Any], Entries]]:
    """A list of records, each with a `key` unique within the list, and their nodes."""
    if not isinstance(node, SequenceNode):
        raise PolicyFileError(_line(node), path, f"expected a list, got {_kind(node)}")
    if len(node.value) < minimum:
        raise PolicyFileError(_line(node), path, f"needs at least {minimum} entry")
    records: list[tuple[dict[str, Any], Entries]] = []
    lines: dict[str, int] = {}
    for index, item in enumerate(node.value):
        values, entries = _record(item, f"{path}[{index}]", fields)
        key, key_node = values["key"], entries["key"][1]
        if key in lines:
            problem = f"duplicate key '{key}' (already on line {lines[key]})"
            raise PolicyFileError(_line(key_node), f"{path}[{index}].key", problem)
        lines[key] = _line(key_node)
        records.append((values, entries))
    return records


# --- reading: the policy --------------------------------------------------------------------

_ITEM = (_Field("key", "key"), _Field("name", "line"), _Field("description", "text", required=False))
_SECTION = (_Field("key", "key"), _Field("title", "line"), _Field("body", "text"))
_SEVERITY = (*_ITEM, _Field("default_impact", "key"), _Field("default_urgency", "key"))
_META = (
    _Field("title", "line", max_length=200),
    _Field("owner", "line", max_length=200),
    _Field("version", "line", required=False, max_length=40),
    _Field("last_reviewed", "date", required=False),
    _Field("review_interval_days", "days"),
    _Field("resume_on_client_reply", "flag", required=False),
)
# (name, fields, minimum entries, required)
_LISTS: tuple[tuple[str, tuple[_Field, ...], int, bool], ...] = (
    ("sections", _SECTION, 0, False),
    ("categories", _ITEM, 0, False),
    ("impact_levels", _ITEM, 1, True),
    ("urgency_levels", _ITEM, 1, True),
    ("priorities", _ITEM, 1, True),
)
TOP_KEYS = (*(f.name for f in _META), *(name for name, *_ in _LISTS), "matrix", "severities", "reviews")
_REQUIRED = (
    *(f.name for f in _META if f.required),
    *(name for name, _, _, required in _LISTS if required),
    "matrix",
    "severities",
)


def _syntax_problem(exc: yaml.MarkedYAMLError) -> tuple[int, str, str]:
    """Where PyYAML noticed the problem, and where the construct it was reading began:
    an unclosed bracket is only noticed a line or more later."""
    mark, context = exc.problem_mark or exc.context_mark, exc.context_mark
    line = int(mark.line) + 1 if mark else 1
    if exc.problem and exc.context and exc.problem.startswith("but "):
        # e.g. "expected a single document in the stream" + "but found another document"
        return line, "", f"not valid YAML: {exc.context} {exc.problem}"
    problem = f"not valid YAML: {exc.problem or exc.context}"
    if exc.problem and exc.context and context and int(context.line) + 1 != line:
        problem += f" ({exc.context} that starts on line {int(context.line) + 1})"
    return line, "", problem


def _compose(text: str) -> Node:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        raise PolicyFileError(*_syntax_problem(exc)) from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        problem = f"not valid YAML: the control character #x{exc.character:04x} is not allowed"
        raise PolicyFileError(line, "", problem) from None
    except yaml.YAMLError as exc:  # any other PyYAML failure carries no position
        raise PolicyFileError(1, "", f"not valid YAML: {exc}") from None
    if root is None:
        raise PolicyFileError(1, "", "the file is empty")
    return root


def _known(keys: list[str] | tuple[str, ...]) -> str:
    return f"(known: {', '.join(keys)})"


def _reference(node: Node, path: str, what: str, known: list[str]) -> str:
    key = _key_value(node, path)
    if key not in known:
        raise PolicyFileError(_line(node), path, f"unknown {what} '{key}' {_known(known)}")
    return key


def _matrix(node: Node, impacts: list[str], urgencies: list[str], priorities: list[str]) -> dict[str, Any]:
    """Every impact × urgency cell exactly once, each naming a known priority."""
    rows = _entries(node, "matrix")
    for impact, (key_node, _) in rows.items():
        _reference(key_node, f"matrix.{impact}", "impact level", impacts)
    matrix: dict[str, dict[str, str]] = {}
    for impact in impacts:
        if impact not in rows:
            raise PolicyFileError(_line(node), f"matrix.{impact}", f"missing row for impact level '{impact}'")
        row_node = rows[impact][1]
        cells = _entries(row_node, f"matrix.{impact}")
        for urgency, (key_node, _) in cells.items():
            _reference(key_node, f"matrix.{impact}.{urgency}", "urgency level", urgencies)
        matrix[impact] = {}
        for urgency in urgencies:
            path = f"matrix.{impact}.{urgency}"
            if urgency not in cells:
                problem = f"missing cell: impact '{impact}' × urgency '{urgency}' needs a priority"
                raise PolicyFileError(_line(row_node), path, problem)
            matrix[impact][urgency] = _reference(cells[urgency][1], path, "priority", priorities)
    return matrix


def _severities(node: Node, impacts: list[str], urgencies: list[str]) -> list[dict[str, Any]]:
    """Exactly the four severities, each defaulting to known levels."""
    records = _records(node, "severities", _SEVERITY)
    for index, (_, entries) in enumerate(records):
        path = f"severities[{index}]"
        _reference(entries["key"][1], f"{path}.key", "severity", list(SEVERITIES))
        _reference(entries["default_impact"][1], f"{path}.default_impact", "impact level", impacts)
        _reference(entries["default_urgency"][1], f"{path}.default_urgency", "urgency level", urgencies)
    present = {values["key"] for values, _ in records}
    for key in SEVERITIES:
        if key not in present:
            raise PolicyFileError(_line(node), "severities", f"missing severity '{key}' {_known(SEVERITIES)}")
    return [values for values, _ in records]


_REVIEW_KEYS = ("priorities", "sla_breach", "reopened", "due_business_days")


def _reviews(node: Node | None, priorities: list[str]) -> ReviewRulesDoc:
    """The optional `reviews:` block; a file without it gets the defaults (P1 and P2, any SLA
    breach, any reopened incident; due in 5 business days)."""
    rules = default_review_rules()
    if node is None:
        return rules
    entries = _entries(node, "reviews", allowed=_REVIEW_KEYS)
    if "priorities" in entries:
        listed = entries["priorities"][1]
        if not isinstance(listed, SequenceNode):
            raise PolicyFileError(
                _line(listed), "reviews.priorities", f"expected a list, got {_kind(listed)}"
            )
        keys = [
            _reference(item, f"reviews.priorities[{index}]", "priority", priorities)
            for index, item in enumerate(listed.value)
        ]
        rules["priorities"] = list(dict.fromkeys(keys))
    if "sla_breach" in entries:
        rules["sla_breach"] = _flag_value(entries["sla_breach"][1], "reviews.sla_breach")
    if "reopened" in entries:
        rules["reopened"] = _flag_value(entries["reopened"][1], "reviews.reopened")
    if "due_business_days" in entries:
        days_node = entries["due_business_days"][1]
        days = _days_value(days_node, "reviews.due_business_days")
        if days > 60:
            raise PolicyFileError(
                _line(days_node), "reviews.due_business_days", "must be between 1 and 60 days"
            )
        rules["due_business_days"] = days
    return rules


def policy_yaml_parse(text: str) -> PolicyDocument:
    """Validate a whole policy file; PolicyFileError names the first problem's line and field."""
    root = _compose(text)
    if not isinstance(root, MappingNode):
        raise PolicyFileError(_line(root), "", f"expected a mapping of policy fields, got {_kind(root)}")
    top = _entries(root, "", required=_REQUIRED, allowed=TOP_KEYS)
    data: dict[str, Any] = {}
    for field in _META:
        found = top.get(field.name)
        data[field.name] = _value(field, found[1] if found else None, field.name)
    for name, fields, minimum, _ in _LISTS:
        found = top.get(name)
        records = _records(found[1], name, fields, minimum=minimum) if found else []
        data[name] = [values for values, _ in records]
    keys = {name: [item["key"] for item in data[name]] for name in ("impact_levels", "urgency_levels")}
    impacts, urgencies = keys["impact_levels"], keys["urgency_levels"]
    priorities = [item["key"] for item in data["priorities"]]
    data["matrix"] = _matrix(top["matrix"][1], impacts, urgencies, priorities)
    data["severities"] = _severities(top["severities"][1], impacts, urgencies)
    found = top.get("reviews")
    data["reviews"] = _reviews(found[1] if found else None, priorities)
    return cast(PolicyDocument, data)
