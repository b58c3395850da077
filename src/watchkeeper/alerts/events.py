"""The normalised event every wire format is parsed into before rules, dedup and grouping."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

Action = Literal["trigger", "acknowledge", "resolve", "annotate", "update"]
SEVERITIES = ("critical", "error", "warning", "info")


class EventError(ValueError):
    """An event that cannot be accepted; `errors` are messages a sender can act on."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass
class AlertChange:
    """What an `update` event changes on one stored alert, open or not (Opsgenie's notes, tags,
    details, priority and owner). The alert is `alert_id` when the sender named it by id (of the
    integration's client), otherwise the latest alert of the event's dedup key."""

    alert_id: int | None = None
    tags_add: list[str] = field(default_factory=list)
    tags_remove: list[str] = field(default_factory=list)
    details_add: dict[str, str] = field(default_factory=dict)
    details_remove: list[str] = field(default_factory=list)
    severity: str = ""
    priority: str = ""  # the sender's own priority name (Opsgenie's P1…P5), kept in details
    owner_email: str = ""  # the incident's new owner, a user of the MSP who may work on the client


@dataclass
class AlertEvent:
    """One action on one alert (or, for `annotate`, a note for the service's open incidents)."""

    action: Action
    dedup_key: str
    summary: str = ""
    source: str = ""
    severity: str = "error"
    component: str = ""
    group: str = ""
    alert_class: str = ""
    group_key: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    links: list[dict[str, str]] = field(default_factory=list)
    images: list[dict[str, str]] = field(default_factory=list)
    # The sender's tags (Opsgenie's), kept on the alert beside those event rules add.
    tags: list[str] = field(default_factory=list)
    # A service name of the integration's client to route to (rules may also set it).
    service_name: str = ""
    occurred_at: dt.datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    # A note the sender attached to an acknowledge or resolve (Opsgenie's "note"), and who it
    # says wrote it: recorded on the alert's incident timeline.
    note: str = ""
    note_by: str = ""
    change: AlertChange | None = None  # for `update`

    def field_value(self, name: str) -> Any:
        """A value by rule-field name: "summary", "severity", "labels.env", "details.host" …"""
        if "." in name:
            head, _, rest = name.partition(".")
            container = {"labels": self.labels, "details": self.details}.get(head)
            if container is None:
                return None
            value: Any = container
            for part in rest.split("."):
                if not isinstance(value, dict) or part not in value:
                    return None
                value = value[part]
            return value
        return getattr(self, name, None) if name in _FIELDS else None


_FIELDS = frozenset(
    {"action", "dedup_key", "summary", "source", "severity", "component", "group", "alert_class", "group_key"}
)
