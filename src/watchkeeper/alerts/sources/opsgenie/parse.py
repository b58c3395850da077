"""Opsgenie Alert API subset: create (`POST /v2/alerts`), acknowledge and close.

The alias is the dedup key. Acknowledge and close name their alert by alias or by id; our
ids are the alias we answered at create time or a Watchkeeper alert id (see docs/intake.md).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from watchkeeper.alerts.events import Action, AlertEvent, EventError
from watchkeeper.alerts.models import Alert
from watchkeeper.alerts.models.alerts import OPEN_STATUSES
from watchkeeper.alerts.sources.alertmanager.parse import MAX_ERRORS

PRIORITIES = {"P1": "critical", "P2": "error", "P3": "warning", "P4": "info", "P5": "info"}
IDENTIFIER_TYPES = ("id", "alias", "tiny")  # a tiny id is our alert id, as is an id
ACTIONS: dict[str, Action] = {"acknowledge": "acknowledge", "close": "resolve"}
# Opsgenie's own limits for the text fields we read (characters).
LIMITS = {"message": 130, "alias": 512, "description": 15000, "entity": 512, "source": 100, "note": 25000,
          "user": 100}  # fmt: skip


def new_alias() -> str:
    return uuid.uuid4().hex


def text_value(body: dict[str, Any], name: str, errors: list[str], *, required: bool = False) -> str:
    value = body.get(name)
    if value is None or value == "":
        if required:
            errors.append(f"'{name}' is missing; Opsgenie alerts need a {name}")
        return ""
    if not isinstance(value, str):
        errors.append(f"'{name}' must be a string")
        return ""
    if len(value) > LIMITS[name]:
        errors.append(f"'{name}' is longer than {LIMITS[name]} characters")
    return value


def tag_list(value: Any, errors: list[str]) -> list[str]:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(isinstance(tag, str) and len(tag) <= 50 for tag in value):
        errors.append("'tags' must be a list of strings of at most 50 characters")
        return []
    if len(value) > 20:
        errors.append("'tags' may hold at most 20 tags")
    return value[:20]


def detail_map(value: Any, errors: list[str]) -> dict[str, str]:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        errors.append("'details' must be an object of strings")
        return {}
    details: dict[str, str] = {}
    for key, item in value.items():
        if isinstance(item, dict | list):
            errors.append(f"'details.{key}' must be a string, not an object or list")
        elif item is not None:
            details[str(key)] = item if isinstance(item, str) else json.dumps(item)
    return details


def tag_labels(tags: list[str]) -> dict[str, str]:
    """Tags as labels for event rules: "env:prod" → env=prod, a plain "db" → db=true."""
    labels: dict[str, str] = {}
    for tag in tags:
        name, sep, value = tag.partition(":")
        labels[name.strip() or tag] = value.strip() if sep else "true"
    return labels


def parse_create(body: Any, *, alias: str = "") -> AlertEvent:
    """Validate a create-alert body; `alias`: the key generated at ingest when it has none."""
    if not isinstance(body, dict):
        raise EventError(["the body must be a JSON object with at least a 'message'"])
    errors: list[str] = []
    message = text_value(body, "message", errors, required=True)
    key = text_value(body, "alias", errors) or alias
    names = ("description", "entity", "source", "note", "user")
    fields = {name: text_value(body, name, errors) for name in names}
    priority = body.get("priority") or "P3"
    if not isinstance(priority, str) or priority not in PRIORITIES:
        errors.append("'priority' must be one of P1, P2, P3, P4, P5")
        priority = "P3"
    tags = tag_list(body.get("tags"), errors)
    details = detail_map(body.get("details"), errors)
    errors.extend(
        f"'{name}' must be a list"
        for name in ("responders", "visibleTo", "actions")
        if body.get(name) is not None and not isinstance(body.get(name), list)
    )
    if not key:
        errors.append("'alias' is missing and none was generated")
    if errors:
        raise EventError(errors[:MAX_ERRORS])
    extra = {name: value for name, value in fields.items() if value and name != "source"}
    return AlertEvent(
        action="trigger", dedup_key=key, summary=message, source=fields["source"] or "opsgenie",
        severity=PRIORITIES[priority], component=fields["entity"], labels=tag_labels(tags), tags=tags,
        details={**details, **extra, "priority": priority, **({"tags": tags} if tags else {})}, raw=body,
    )  # fmt: skip


def parse_action_request(*, identifier: str, identifier_type: str, body: Any) -> dict[str, Any]:
    """Validate an acknowledge/close request; the inbox payload that stands for it."""
    errors: list[str] = []
    if not identifier or len(identifier) > LIMITS["alias"]:
        errors.append(f"the alert identifier must be 1 to {LIMITS['alias']} characters")
    if identifier_type not in IDENTIFIER_TYPES:
        errors.append("'identifierType' must be 'id', 'tiny' or 'alias'")
    if body is None:
        body = {}
    if not isinstance(body, dict):
        errors.append("the body must be a JSON object (or empty)")
        body = {}
    for name in ("note", "user", "source"):
        text_value(body, name, errors)
    if errors:
        raise EventError(errors)
    return {"identifier": identifier, "identifierType": identifier_type, "body": body}


def action_events(payload: Any, *, action: str, integration_id: int) -> list[AlertEvent]:
    """The event for an acknowledge/close row, resolving an id to the alert's dedup key.

    An id that names an alert of this integration acts on that alert only while it is open;
    any other id is taken as an alias we answered at create time."""
    request = parse_action_request(
        identifier=str(payload.get("identifier") or "") if isinstance(payload, dict) else "",
        identifier_type=str(payload.get("identifierType") or "") if isinstance(payload, dict) else "",
        body=payload.get("body") if isinstance(payload, dict) else None,
    )
    key = request["identifier"]
    if request["identifierType"] in ("id", "tiny") and key.isascii() and key.isdigit() and len(key) < 19:
        alert = Alert.objects.filter(pk=int(key), integration_id=integration_id).first()
        if alert is not None:
            if alert.status not in OPEN_STATUSES:
                return []
            key = alert.dedup_key
    body = request["body"]
    note, user = str(body.get("note") or "").strip(), str(body.get("user") or "").strip()
    return [AlertEvent(action=ACTIONS[action], dedup_key=key, raw=request, note=note, note_by=user)]
