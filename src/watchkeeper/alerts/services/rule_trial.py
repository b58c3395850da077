"""Try a client's event rules and maintenance windows on a sample event, changing nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from watchkeeper.alerts.events import SEVERITIES, AlertEvent
from watchkeeper.alerts.models import Integration
from watchkeeper.alerts.rules import rules_decide
from watchkeeper.core import clock
from watchkeeper.core.errors import InvalidInput
from watchkeeper.tenancy.models import Client

_TEXT_FIELDS = ("summary", "source", "component", "group", "alert_class", "group_key", "service_name")


def _sample(event: Any) -> AlertEvent:
    if not isinstance(event, dict):
        raise InvalidInput(
            'The sample event must be an object, e.g. {"summary": "Disk full"}.', field="event"
        )
    fields: dict[str, Any] = {}
    for name in _TEXT_FIELDS:
        value = event.get("class" if name == "alert_class" else name, "")
        if not isinstance(value, str) or len(value) > 1024:
            raise InvalidInput(f"'{name}' must be text of at most 1,024 characters.", field="event")
        fields[name] = value
    severity = event.get("severity", "error")
    if severity not in SEVERITIES:
        raise InvalidInput(f"'severity' must be one of {', '.join(SEVERITIES)}.", field="event")
    for name in ("labels", "details"):
        if not isinstance(event.get(name, {}), dict):
            raise InvalidInput(f"'{name}' must be an object.", field="event")
    labels = {str(key): str(value) for key, value in event.get("labels", {}).items()}
    return AlertEvent(
        action="trigger", dedup_key=str(event.get("dedup_key") or "sample"), severity=severity,
        labels=labels, details=event.get("details", {}), **fields,
    )  # fmt: skip


def event_rules_try(
    *, client: Client, event: Any, integration: Integration | None = None, at: dt.datetime | None = None
) -> dict[str, Any]:
    """What the client's rules and windows would do with `event` (a dict of alert fields) from
    `integration` (None: as if from an integration no rule is limited to). Reads only."""
    if integration is not None and integration.client_id != client.pk:
        raise InvalidInput(f"Unknown integration for {client.name}.", field="integration")
    sample = _sample(event)
    source = integration or Integration(client=client, default_service=None, name="sample")
    decision = rules_decide(integration=source, event=sample, at=at or clock.now())
    return {
        "matched": decision.matched,
        "drop": decision.drop,
        "suppressed": bool(decision.suppress_reason),
        "reason": decision.drop_reason or decision.suppress_reason,
        "service": decision.service.name if decision.service else None,
        "severity": decision.severity or sample.severity,
        "impact": decision.impact,
        "urgency": decision.urgency,
        "category": decision.category,
        "tags": decision.tags,
    }
