"""Opsgenie's alert updates: notes, tags, details, priority and owner (`POST /v2/alerts/{id}/…`).

Like acknowledge and close they go through the inbox: the endpoint checks the request and stores
it, the engine applies it (`update` events, see alerts/services/changes.py) and the sender asks
`GET /v2/alerts/requests/{id}` how it went.
"""

from __future__ import annotations

from typing import Any

from watchkeeper.alerts.events import AlertChange, AlertEvent, EventError
from watchkeeper.alerts.models import Alert, Integration
from watchkeeper.alerts.sources.opsgenie.parse import LIMITS, PRIORITIES, detail_map, tag_list, text_value

# Operation → inbox kind. The operation's name is what the endpoint and the payload carry.
KINDS = {
    "note": "opsgenie_note",
    "tags_add": "opsgenie_tags_add",
    "tags_remove": "opsgenie_tags_remove",
    "details_add": "opsgenie_details_add",
    "details_remove": "opsgenie_details_remove",
    "priority": "opsgenie_priority",
    "assign": "opsgenie_assign",
}
IDENTIFIER_TYPES = ("id", "alias", "tiny")


def _names(value: Any, what: str, errors: list[str]) -> list[str]:
    """A DELETE's comma-separated query parameter (`tags=a,b`, `keys=x,y`) as a list (which is
    how the stored payload keeps it)."""
    parts = value if isinstance(value, list) else str(value or "").split(",")
    names = [str(part).strip() for part in parts if str(part).strip()]
    if not names:
        errors.append(f"'{what}' is missing: name at least one, comma-separated")
    return names


def _owner(value: Any, errors: list[str]) -> str:
    if isinstance(value, str) and value:  # as the stored payload keeps it
        return value[: LIMITS["user"]]
    if not isinstance(value, dict) or not isinstance(value.get("username"), str) or not value["username"]:
        errors.append("'owner' must name the user by 'username' (their e-mail address in Watchkeeper)")
        return ""
    return str(value["username"])[: LIMITS["user"]]


def _operation_fields(operation: str, body: dict[str, Any], errors: list[str]) -> dict[str, Any]:
    """The fields of `operation` in `body`, checked; what the payload stores besides the body."""
    if operation == "note":
        text_value(body, "note", errors, required=True)
        return {}
    if operation == "tags_add":
        tags = tag_list(body.get("tags"), errors)
        if not tags and not errors:
            errors.append("'tags' is missing: name at least one tag")
        return {"tags": tags}
    if operation == "details_add":
        details = detail_map(body.get("details"), errors)
        if not details and not errors:
            errors.append("'details' is missing: give at least one key and value")
        return {"details": details}
    if operation == "tags_remove":
        return {"tags": _names(body.get("tags"), "tags", errors)}
    if operation == "details_remove":
        return {"keys": _names(body.get("keys"), "keys", errors)}
    if operation == "priority":
        priority = body.get("priority")
        if priority not in PRIORITIES:
            errors.append("'priority' must be one of P1, P2, P3, P4, P5")
        return {"priority": priority}
    if operation == "assign":
        return {"owner": _owner(body.get("owner"), errors)}
    raise ValueError(operation)


def parse_change_request(
    *, operation: str, identifier: str, identifier_type: str, body: Any
) -> dict[str, Any]:
    """Validate an update request; the inbox payload that stands for it. For DELETE requests
    `body` holds the query parameters."""
    errors: list[str] = []
    if not identifier or len(identifier) > LIMITS["alias"]:
        errors.append(f"the alert identifier must be 1 to {LIMITS['alias']} characters")
    if identifier_type not in IDENTIFIER_TYPES:
        errors.append("'identifierType' must be 'id', 'tiny' or 'alias'")
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise EventError(["the body must be a JSON object"])
    for name in ("user", "source") + (() if operation == "note" else ("note",)):
        text_value(body, name, errors)
    fields = _operation_fields(operation, body, errors)
    if errors:
        raise EventError(errors)
    kept = {name: body[name] for name in ("note", "user", "source") if isinstance(body.get(name), str)}
    return {"identifier": identifier, "identifierType": identifier_type, "body": {**kept, **fields}}


def change_events(payload: Any, *, operation: str, integration_id: int) -> list[AlertEvent]:
    """The `update` event of a stored request. An id keeps its alert's dedup key as the event's
    key, so the engine orders it behind that alert's other events."""
    if not isinstance(payload, dict) or not isinstance(payload.get("body"), dict):
        raise EventError(["the stored request is not an Opsgenie update"])
    request = parse_change_request(
        operation=operation, identifier=str(payload.get("identifier") or ""),
        identifier_type=str(payload.get("identifierType") or ""), body=payload["body"],
    )  # fmt: skip
    body, key = request["body"], request["identifier"]
    change = AlertChange()
    if request["identifierType"] != "alias":
        change.alert_id = int(key) if key.isascii() and key.isdigit() and len(key) < 19 else 0
        client = Integration.objects.filter(pk=integration_id).values("client_id")
        found = Alert.objects.filter(pk=change.alert_id, client_id__in=client).values_list(
            "dedup_key", flat=True
        )
        key = found.first() or f"#{key}"
    change.tags_add = body.get("tags", []) if operation == "tags_add" else []
    change.tags_remove = body.get("tags", []) if operation == "tags_remove" else []
    change.details_add = body.get("details", {}) if operation == "details_add" else {}
    change.details_remove = body.get("keys", []) if operation == "details_remove" else []
    if operation == "priority":
        change.priority, change.severity = body["priority"], PRIORITIES[body["priority"]]
    change.owner_email = body.get("owner", "") if operation == "assign" else ""
    note, user = str(body.get("note") or "").strip(), str(body.get("user") or "").strip()
    return [AlertEvent(action="update", dedup_key=key, raw=request, note=note, note_by=user, change=change)]
