"""What the OpenAPI document promises: one component per shape, every integer input bounded,
every list's paging bounded, no `format: time` it cannot keep, and the error answers named."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from importlib import import_module
from typing import Any

import pytest
from ninja import Schema

from watchkeeper.config.api import api
from watchkeeper.config.openapi import ERROR_RESPONSES
from watchkeeper.core.pagination import API_MAX_OFFSET
from watchkeeper.core.schemas import ID_MAX, ErrorOut

APPS = ("accounts", "alerts", "incidents", "oncall", "paging", "policy", "sla", "tenancy")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return dict(api.get_openapi_schema(path_prefix="/api/v1/"))


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            yield f"{method.upper()} {path}", operation


def _schema_classes() -> list[type[Schema]]:
    for app in APPS:
        import_module(f"watchkeeper.{app}.schemas")
    found: list[type[Schema]] = []
    todo = [Schema]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub.__module__.startswith("watchkeeper.") and sub not in found:
                found.append(sub)
            todo.append(sub)
    return found


def test_every_schema_has_its_own_name() -> None:
    # Components are keyed by class name: two classes of one name become one component, and
    # every operation of either documents whichever was written last.
    names = Counter(schema.__name__ for schema in _schema_classes())
    assert len(names) > 50
    assert [name for name, count in names.items() if count > 1] == []


def _component(document: dict[str, Any], operation: dict[str, Any]) -> str:
    schema = operation["responses"][200]["content"]["application/json"]["schema"]
    return str(schema["$ref"]).rsplit("/", 1)[-1]


def test_the_three_policies_document_their_own_shapes(document: dict[str, Any]) -> None:
    paths = document["paths"]
    assert _component(document, paths["/api/v1/policy"]["get"]) == "IncidentPolicyOut"
    assert _component(document, paths["/api/v1/sla-policies/{policy_id}"]["get"]) == "SlaPolicyOut"
    escalation = paths["/api/v1/escalation-policies/{policy_id}"]["get"]
    assert _component(document, escalation) == "EscalationPolicyOut"
    components = document["components"]["schemas"]
    assert "matrix" in components["IncidentPolicyOut"]["properties"]
    assert "targets" in components["SlaPolicyOut"]["properties"]
    assert "levels" in components["EscalationPolicyOut"]["properties"]


def _integers(schema: Any, components: dict[str, Any], where: str, seen: frozenset[str]) -> Iterator[Any]:
    """(where, schema) of every integer a schema holds, through references."""
    if not isinstance(schema, dict):
        return
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            yield from _integers(components[name], components, f"{where}>{name}", seen | {name})
        return
    if schema.get("type") == "integer":
        yield where, schema
    for name, value in schema.get("properties", {}).items():
        yield from _integers(value, components, f"{where}.{name}", seen)
    for key in ("items", "additionalProperties"):
        yield from _integers(schema.get(key), components, f"{where}[]", seen)
    for key in ("anyOf", "oneOf", "allOf"):
        for value in schema.get(key, []):
            yield from _integers(value, components, where, seen)


def _inputs(document: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    components = document["components"]["schemas"]
    for name, operation in _operations(document):
        for parameter in operation.get("parameters", []):
            where = f"{name} {parameter['in']} {parameter['name']}"
            yield from _integers(parameter["schema"], components, where, frozenset())
        for content in operation.get("requestBody", {}).get("content", {}).values():
            yield from _integers(content["schema"], components, f"{name} body", frozenset())


def test_every_integer_input_is_bounded_by_what_the_database_holds(document: dict[str, Any]) -> None:
    integers = list(_inputs(document))
    assert len(integers) > 100
    unbounded = [where for where, schema in integers if "minimum" not in schema or "maximum" not in schema]
    assert unbounded == []
    assert max(schema["maximum"] for _, schema in integers) <= ID_MAX


def test_every_list_bounds_its_paging(document: dict[str, Any]) -> None:
    lists = 0
    for name, operation in _operations(document):
        parameters = {p["name"]: p["schema"] for p in operation.get("parameters", [])}
        if "offset" in parameters:
            lists += 1
            assert parameters["offset"]["maximum"] == API_MAX_OFFSET, name
            assert parameters["limit"]["maximum"] == 500, name
    assert lists >= 19


def test_no_schema_promises_a_time_with_an_offset_it_does_not_send(document: dict[str, Any]) -> None:
    # `format: time` is RFC 3339's full-time ("09:00:00Z"); the API's times are local ("09:00:00").
    assert '"format": "time"' not in json.dumps(document, default=str)
    for name in ("LayerIn", "LayerOut"):
        handoff = document["components"]["schemas"][name]["properties"]["handoff_time"]
        assert handoff["type"] == "string" and "pattern" in handoff


def test_every_operation_documents_the_one_error_shape(document: dict[str, Any]) -> None:
    reference = f"#/components/schemas/{ErrorOut.__name__}"
    assert set(ERROR_RESPONSES) == {400, 401, 403, 404, 409, 413}
    operations = list(_operations(document))
    assert len(operations) >= 100
    for name, operation in operations:
        for status in ERROR_RESPONSES:
            content = operation["responses"][status]["content"]["application/json"]
            assert content["schema"] == {"$ref": reference}, name
            assert content["examples"], name
    assert set(document["components"]["schemas"][ErrorOut.__name__]["properties"]) == {
        "detail", "field", "errors",
    }  # fmt: skip
