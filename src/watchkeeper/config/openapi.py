"""The error answers every API operation can give, written into the OpenAPI document once.

ninja documents only the statuses a view declares, and no view declares its errors: they come
from the exception handlers in `config/api.py`, in one shape (`ErrorOut`) for every operation.
Documenting them per view would repeat the same map a hundred times and drift.
"""

from __future__ import annotations

from typing import Any

from ninja.openapi.schema import REF_TEMPLATE

from watchkeeper.core.schemas import ErrorOut

# status → (when, example bodies by name)
ERROR_RESPONSES: dict[int, tuple[str, dict[str, dict[str, Any]]]] = {
    400: (
        "Input a person can fix, a write that refers to an object you cannot see, or a request "
        "that does not match the schema (a missing field, a wrong type, a number out of range, "
        "a body that is not a JSON object)",
        {
            "input": {"detail": "Unknown client 'globex'.", "field": "client"},
            "schema": {
                "detail": "Invalid request: seats: Input should be less than or equal to 2147483647",
                "errors": [{"field": "seats", "message": "Input should be less than or equal to 2147483647"}],
            },
        },
    ),
    401: (
        "No token, or an unknown, revoked or expired one",
        {"token": {"detail": "Authentication required: send 'Authorization: Bearer <token>'."}},
    ),
    403: (
        "You can see the object but may not do this (role or token scope)",
        {"scope": {"detail": "You do not have permission to do this."}},
    ),
    404: (
        "It does not exist, or belongs to a client you cannot see",
        {"missing": {"detail": "No client 'globex'."}},
    ),
    409: (
        "The object is not in a state that allows this (e.g. reopening an incident that is open)",
        {"state": {"detail": "Only a resolved incident can be reopened (ACME-42 is triggered)."}},
    ),
    413: (
        "The request body is larger than the server accepts",
        {"size": {"detail": "The body is larger than 2560 KB."}},
    ),
}


def errors_documented(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` (an OpenAPI document) with the error responses on every operation and the
    error shape among its components. An operation's own answer for a status is kept."""
    error_schema = ErrorOut.model_json_schema(ref_template=REF_TEMPLATE)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(error_schema.pop("$defs", {}))
    components[ErrorOut.__name__] = error_schema
    reference = {"$ref": REF_TEMPLATE.format(model=ErrorOut.__name__)}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, (description, examples) in ERROR_RESPONSES.items():
                responses.setdefault(
                    status,
                    {
                        "description": description,
                        "content": {
                            "application/json": {
                                "schema": reference,
                                "examples": {name: {"value": value} for name, value in examples.items()},
                            }
                        },
                    },
                )
    return schema
