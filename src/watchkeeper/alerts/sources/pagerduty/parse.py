"""PagerDuty Events API v2 (`/v2/enqueue`, `/v2/change/enqueue`)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from watchkeeper.alerts.events import SEVERITIES, AlertEvent, EventError

ACTIONS = ("trigger", "acknowledge", "resolve")


def _text(value: Any, name: str, limit: int, errors: list[str], *, required: bool) -> str:
    if value is None or value == "":
        if required:
            errors.append(f"'{name}' is missing")
        return ""
    if not isinstance(value, str):
        errors.append(f"'{name}' must be a string")
        return ""
    if len(value) > limit:
        errors.append(f"'{name}' is longer than {limit} characters")
    return value


def _timestamp(value: Any, errors: list[str]) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        errors.append("'payload.timestamp' must be an ISO 8601 string")
        return None
    text = value.strip().replace("Z", "+00:00")
    # PagerDuty's own examples use +0000 (no colon).
    if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():
        text = f"{text[:-2]}:{text[-2:]}"
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        errors.append("'payload.timestamp' is not an ISO 8601 date-time")
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _link_list(value: Any, name: str, errors: list[str]) -> list[dict[str, str]]:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        errors.append(f"'{name}' must be a list of objects")
        return []
    return [
        {k: str(v) for k, v in item.items() if k in {"href", "text", "src", "alt"}} for item in value[:20]
    ]


def parse_event(body: Any, *, dedup_key: str = "") -> AlertEvent:
    """Validate an Events API v2 body; raise EventError listing every problem.

    `dedup_key`: the key chosen at ingest for a trigger that came without one.
    """
    if not isinstance(body, dict):
        raise EventError(["the body must be a JSON object"])
    errors: list[str] = []
    action = body.get("event_action")
    if action not in ACTIONS:
        errors.append(f"'event_action' must be one of {', '.join(ACTIONS)}")
    key = _text(body.get("dedup_key"), "dedup_key", 255, errors, required=action != "trigger") or dedup_key
    payload = body.get("payload")
    event = AlertEvent(action=action if action in ACTIONS else "trigger", dedup_key=key)
    if action == "trigger":
        if not isinstance(payload, dict):
            errors.append("'payload' is missing or not an object")
            payload = {}
        event.summary = _text(payload.get("summary"), "payload.summary", 1024, errors, required=True)
        event.source = _text(payload.get("source"), "payload.source", 255, errors, required=True)
        severity = payload.get("severity")
        if severity not in SEVERITIES:
            errors.append(f"'payload.severity' must be one of {', '.join(SEVERITIES)}")
        else:
            event.severity = severity
        event.component = _text(payload.get("component"), "payload.component", 255, errors, required=False)
        event.group = _text(payload.get("group"), "payload.group", 255, errors, required=False)
        event.alert_class = _text(payload.get("class"), "payload.class", 255, errors, required=False)
        event.occurred_at = _timestamp(payload.get("timestamp"), errors)
        details = payload.get("custom_details")
        event.details = (
            details if isinstance(details, dict) else ({} if details is None else {"details": details})
        )
        event.links = _link_list(body.get("links"), "links", errors)
        event.images = _link_list(body.get("images"), "images", errors)
        if body.get("client"):
            event.links.insert(0, {"href": str(body.get("client_url") or ""), "text": str(body["client"])})
    if errors:
        raise EventError(errors)
    event.raw = body
    return event


def new_dedup_key() -> str:
    return uuid.uuid4().hex


def parse_change(body: Any) -> AlertEvent:
    """A change event: annotates the service's open incidents' timelines; pages nobody."""
    if not isinstance(body, dict):
        raise EventError(["the body must be a JSON object"])
    errors: list[str] = []
    payload = body.get("payload")
    if not isinstance(payload, dict):
        raise EventError(["'payload' is missing or not an object"])
    event = AlertEvent(action="annotate", dedup_key="")
    event.summary = _text(payload.get("summary"), "payload.summary", 1024, errors, required=True)
    event.source = _text(payload.get("source"), "payload.source", 255, errors, required=False)
    event.occurred_at = _timestamp(payload.get("timestamp"), errors)
    details = payload.get("custom_details")
    event.details = details if isinstance(details, dict) else {}
    event.links = _link_list(body.get("links"), "links", errors)
    if errors:
        raise EventError(errors)
    event.raw = body
    return event
