"""Opsgenie's alert reads: one alert, a list with a search query, the count, an alert's notes.

Every read is scoped to the GenieKey's client (`alerts` below is already filtered to it). The
query language is Opsgenie's `field: value` terms joined by AND (or by spaces); OR, NOT, ranges
and other fields are refused with a message naming what is supported, never ignored.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet

from watchkeeper.alerts.events import EventError
from watchkeeper.alerts.models import Alert, AlertStatus
from watchkeeper.alerts.models.alerts import OPEN_STATUSES
from watchkeeper.alerts.sources.opsgenie.parse import PRIORITIES
from watchkeeper.incidents.models import TimelineEntry, TimelineKind

SEVERITY_PRIORITY = {"critical": "P1", "error": "P2", "warning": "P3", "info": "P4"}
SORTS = {"createdAt": "first_seen_at", "updatedAt": "updated_at", "lastOccurredAt": "last_seen_at",
         "count": "occurrence_count", "tinyId": "id"}  # fmt: skip
SEARCH_FIELDS = ("status", "acknowledged", "tag", "tags", "alias", "message", "priority", "source",
                 "entity", "id", "tinyId", "owner")  # fmt: skip
_TERM = re.compile(r'\s*(?:(\w+)\s*[:=]\s*)?("(?:[^"\\]|\\.)*"|[^\s"]+)\s*')


def _when(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z") if value else None


def _millis(start: dt.datetime, end: dt.datetime | None) -> int | None:
    return int((end - start).total_seconds() * 1000) if end else None


def alert_priority(alert: Alert) -> str:
    sent = alert.details.get("priority") if isinstance(alert.details, dict) else None
    return sent if sent in PRIORITIES else SEVERITY_PRIORITY.get(alert.severity, "P3")


def alert_data(alert: Alert, *, full: bool) -> dict[str, Any]:
    """An alert in Opsgenie's shape; `full` adds what only `GET /v2/alerts/{id}` answers."""
    owner = alert.incident.owner if alert.incident is not None else None
    report = {
        "ackTime": _millis(alert.first_seen_at, alert.acknowledged_at),
        "closeTime": _millis(alert.first_seen_at, alert.resolved_at),
    }
    data: dict[str, Any] = {
        "id": str(alert.pk), "tinyId": str(alert.pk), "alias": alert.dedup_key, "message": alert.summary,
        "status": "open" if alert.status in OPEN_STATUSES else "closed",
        "acknowledged": alert.acknowledged_at is not None, "isSeen": alert.acknowledged_at is not None,
        "tags": list(alert.tags), "snoozed": False, "count": alert.occurrence_count,
        "lastOccurredAt": _when(alert.last_seen_at), "createdAt": _when(alert.first_seen_at),
        "updatedAt": _when(alert.updated_at), "source": alert.source, "owner": owner.email if owner else "",
        "priority": alert_priority(alert), "responders": [],
        "integration": {"id": str(alert.integration_id), "name": alert.integration.name, "type": "API"},
        "report": {name: value for name, value in report.items() if value is not None},
    }  # fmt: skip
    if full:
        details = alert.details if isinstance(alert.details, dict) else {}
        data.update(
            actions=[], entity=alert.component, description=str(details.get("description", "")),
            details={str(k): v if isinstance(v, str) else json.dumps(v) for k, v in details.items()},
        )  # fmt: skip
    return data


def _tag_filter(tag: str) -> Q:
    # Tags are a JSON list; matching its quoted element in the stored text works on both
    # databases (SQLite keeps JSON ASCII-escaped, PostgreSQL does not).
    return Q(tags__icontains=json.dumps(tag, ensure_ascii=connection.vendor == "sqlite"))


def _term_filter(name: str, value: str) -> Q:
    lowered = value.lower()
    if name == "status" and lowered in ("open", "closed"):
        return Q(status__in=OPEN_STATUSES) if lowered == "open" else Q(status=AlertStatus.RESOLVED)
    if name == "acknowledged" and lowered in ("true", "false"):
        return Q(acknowledged_at__isnull=lowered == "false")
    if name in ("tag", "tags"):
        return _tag_filter(value)
    if name in ("id", "tinyId") and value.isascii() and value.isdigit() and len(value) < 19:
        return Q(pk=int(value))
    if name == "priority" and value.upper() in PRIORITIES:
        sent, severity = value.upper(), PRIORITIES[value.upper()]
        return Q(details__priority=sent) | (Q(severity=severity) & ~Q(details__has_key="priority"))
    simple = {"alias": "dedup_key", "source": "source__iexact", "entity": "component__iexact",
              "message": "summary__icontains", "owner": "incident__owner__email__iexact"}  # fmt: skip
    if name in simple:
        return Q(**{simple[name]: value})
    raise EventError([f"'{name}: {value}' is not a search this server supports"])


def alert_search(alerts: QuerySet[Alert], query: str) -> QuerySet[Alert]:
    """`alerts` narrowed by an Opsgenie search query (a subset: see the module docstring)."""
    if len(query) > 1000:
        raise EventError(["the query is longer than 1000 characters"])
    position, found = 0, Q()
    while position < len(query):
        match = _TERM.match(query, position)
        if match is None or match.end() == position:
            raise EventError([f"the query cannot be read from position {position}"])
        position = match.end()
        name, value = match.group(1), match.group(2)
        if name is None and value.upper() == "AND":
            continue
        if name is None and value.upper() in ("OR", "NOT"):
            raise EventError([f"this server's alert search joins terms with AND only, not {value.upper()}"])
        if value.startswith('"'):
            value = json.loads(value)
        if name is not None and name not in SEARCH_FIELDS:
            raise EventError(
                [f"'{name}' is not a field this server searches: use {', '.join(SEARCH_FIELDS)}"]
            )
        found &= _term_filter(name, value) if name else Q(summary__icontains=value)
    return alerts.filter(found)


def alert_page(
    alerts: QuerySet[Alert], *, sort: str, order: str, offset: int, limit: int
) -> tuple[list[Alert], bool]:
    """One page of `alerts`, and whether another follows."""
    if sort not in SORTS:
        raise EventError([f"'sort' must be one of {', '.join(SORTS)}"])
    if order not in ("asc", "desc"):
        raise EventError(["'order' must be asc or desc"])
    column = SORTS[sort] if order == "asc" else f"-{SORTS[sort]}"
    rows = list(
        alerts.select_related("integration", "incident__owner")
        .defer("raw", "images", "links")
        .order_by(column, "-id" if order == "desc" else "id")[offset : offset + limit + 1]
    )
    return rows[:limit], len(rows) > limit


def alert_notes(alert: Alert, *, after: int, order: str, limit: int) -> tuple[list[dict[str, Any]], bool]:
    """The notes made on this alert (through this API, or with its acknowledge and close), in
    Opsgenie's shape, and whether more follow. Technicians' other incident notes are the MSP's
    and stay out. `after`: the `offset` of the last note the caller has (0: from the start)."""
    if alert.incident_id is None:
        return [], False
    entries = TimelineEntry.objects.filter(
        incident_id=alert.incident_id, kind=TimelineKind.NOTE, data__alert=alert.pk
    )
    if after:
        entries = entries.filter(pk__gt=after) if order == "asc" else entries.filter(pk__lt=after)
    rows = list(entries.order_by("id" if order == "asc" else "-id")[: limit + 1])
    notes = [
        {
            "note": entry.text_in(None),
            "owner": entry.actor_label,
            "createdAt": _when(entry.at),
            "offset": str(entry.pk),
        }
        for entry in rows[:limit]
    ]
    return notes, len(rows) > limit
