"""Reads for integrations and alerts, scoped by the access module.

The API and the console both read through here. Alerts and integrations are MSP work: portal
users get empty lists and 404s (access actions `alerts.view` and `integrations.view`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet

from watchkeeper.alerts.models import (
    Alert,
    AlertStatus,
    EventRule,
    InboxEvent,
    InboxStatus,
    Integration,
    MaintenanceWindow,
)
from watchkeeper.alerts.models.alerts import OPEN_STATUSES
from watchkeeper.alerts.redact import payload_redact
from watchkeeper.alerts.sources.registry import KINDS
from watchkeeper.core import clock
from watchkeeper.core.errors import InvalidInput
from watchkeeper.tenancy import access
from watchkeeper.tenancy.models import Client

# Large JSON columns that lists never show; reading them for 50 rows would cost megabytes.
_LIST_DEFERRED = ("raw", "details", "images")


def integration_list(
    *, actor: access.ActorLike, client: Client | None = None, type: str = ""
) -> QuerySet[Integration]:
    qs = access.scope_for(
        Integration.objects.select_related("client", "default_service"), actor, "integrations.view"
    )
    if client is not None:
        qs = qs.filter(client=client)
    if type:
        if type not in KINDS:
            raise InvalidInput(
                f"Unknown integration type '{type}'. Choose one of: {', '.join(KINDS)}.",
                field="type",
            )
        qs = qs.filter(type=type)
    return qs.order_by("client__name", "name", "pk")


def integration_access(*, actor: access.ActorLike, pk: int) -> Integration:
    qs = access.scope_for(
        Integration.objects.select_related("client", "default_service"), actor, "integrations.view"
    )
    return access.object_access(actor, qs, pk=pk)


def integration_key_visible(*, actor: access.ActorLike, integration: Integration) -> bool:
    """Whether the actor may read the integration's secret key (who may manage it)."""
    return access.can(actor, "integrations.manage", client=integration.client)


def integration_previous_key(*, integration: Integration) -> str | None:
    """The key replaced by the last rotation, while it still works."""
    expires = integration.previous_key_expires_at
    if integration.previous_key and expires is not None and expires > clock.now():
        return integration.previous_key
    return None


def alert_statuses(values: Sequence[str]) -> list[str]:
    """Status filter values ("triggered,acknowledged" or repeated; "open" means both)."""
    statuses: list[str] = []
    for value in (part.strip() for raw in values for part in raw.split(",")):
        if value == "open":
            statuses += [AlertStatus.TRIGGERED, AlertStatus.ACKNOWLEDGED]
        elif value in AlertStatus.values:
            statuses.append(value)
        elif value:
            raise InvalidInput(
                f"Unknown alert status '{value}'. Use open or one of: {', '.join(AlertStatus.values)}.",
                field="status",
            )
    return statuses


def alert_list(
    *,
    actor: access.ActorLike,
    client: Client | None = None,
    status: Sequence[str] = (),
    dedup_key: str = "",
    integration: int | None = None,
    service: int | None = None,
    incident: int | None = None,
) -> QuerySet[Alert]:
    """Alerts, most recently seen first, without their large JSON columns (see alert_access)."""
    qs = access.scope_for(
        Alert.objects.select_related("client", "service", "integration", "incident__client").defer(
            *_LIST_DEFERRED
        ),
        actor,
        "alerts.view",
    )
    if client is not None:
        qs = qs.filter(client=client)
    if statuses := alert_statuses(status):
        qs = qs.filter(status__in=statuses)
    if dedup_key:
        qs = qs.filter(dedup_key=dedup_key)
    # Ids the actor cannot see simply match nothing: the queryset is already scoped.
    if integration is not None:
        qs = qs.filter(integration_id=integration)
    if service is not None:
        qs = qs.filter(service_id=service)
    if incident is not None:
        qs = qs.filter(incident_id=incident)
    return qs.order_by("-last_seen_at", "-id")


def alert_access(*, actor: access.ActorLike, pk: int) -> Alert:
    """One alert with everything, including its labels, details, links and raw payload."""
    qs = access.scope_for(
        Alert.objects.select_related("client", "service", "integration", "incident__client"),
        actor,
        "alerts.view",
    )
    return access.object_access(actor, qs, pk=pk)


def alert_payload_shown(*, alert: Alert, value: Any) -> Any:
    """`value` (the alert's raw payload or details) without credentials, for the API and the
    console. Alerts are stored without them since ADR 0025; this also covers older rows."""
    integration = alert.integration
    return payload_redact(value, keys=(integration.key, integration.previous_key))


_REQUEST_ACTIONS = {
    "opsgenie": ("Create", "Created alert"),
    "opsgenie_ack": ("Acknowledge", "Acknowledged"),
    "opsgenie_close": ("Close", "Closed"),
    "opsgenie_note": ("AddNote", "Added note"),
    "opsgenie_tags_add": ("AddTags", "Added tags"),
    "opsgenie_tags_remove": ("RemoveTags", "Removed tags"),
    "opsgenie_details_add": ("AddDetails", "Added details"),
    "opsgenie_details_remove": ("RemoveDetails", "Removed details"),
    "opsgenie_priority": ("UpdatePriority", "Updated priority"),
    "opsgenie_assign": ("Assign", "Assigned"),
}


_STATE_KINDS = ("opsgenie_ack", "opsgenie_close")


def inbox_request_status(*, integration: Integration, request_id: str) -> dict[str, Any] | None:
    """How an accepted request went, in Opsgenie's request-status shape; None while it is still
    waiting in the inbox or when `integration` (the caller's key) did not send it."""
    row = (
        InboxEvent.objects.filter(integration=integration, request_id=request_id)
        .exclude(status=InboxStatus.PENDING)
        .first()
        if request_id
        else None
    )
    if row is None or row.kind not in _REQUEST_ACTIONS:
        return None
    action, done = _REQUEST_ACTIONS[row.kind]
    success = row.status == InboxStatus.DONE
    payload = row.payload if isinstance(row.payload, dict) else {}
    # A create stores the alias it generated; one the sender gave is in its payload.
    alias, alert_id = row.dedup_key or str(payload.get("alias") or ""), None
    if row.kind != "opsgenie":
        alias = str(payload.get("identifier") or "")
        if payload.get("identifierType") in ("id", "tiny") and alias.isdigit() and len(alias) < 19:
            # Updates reach any alert of the key's client; acknowledge and close, the integration's.
            scope = (
                {"integration": integration}
                if row.kind in _STATE_KINDS
                else {"client": integration.client_id}
            )
            found = Alert.objects.filter(pk=int(alias), **scope).values_list("pk", "dedup_key").first()
            if found is not None:
                alert_id, alias = found
    if alert_id is None and alias:
        alert_id = (
            Alert.objects.filter(
                integration=integration, dedup_key=alias, first_seen_at__lte=row.processed_at or clock.now()
            )
            .order_by("-first_seen_at", "-id")
            .values_list("pk", flat=True)
            .first()
        )
    problem = row.error.splitlines()[0][:500] if row.error else "Failed"
    processed = row.processed_at.isoformat().replace("+00:00", "Z") if row.processed_at else None
    return {
        "success": success, "isSuccess": success, "action": action, "processedAt": processed,
        "integrationId": str(integration.pk), "status": done if success else problem,
        "alertId": str(alert_id) if alert_id is not None else "", "alias": alias,
    }  # fmt: skip


def event_rule_list(*, actor: access.ActorLike, client: Client | None = None) -> QuerySet[EventRule]:
    """Rules in the order they apply: by client, then position."""
    qs = access.scope_for(
        EventRule.objects.select_related("client", "integration"), actor, "integrations.view"
    )
    if client is not None:
        qs = qs.filter(client=client)
    return qs.order_by("client__name", "position", "id")


def event_rule_access(*, actor: access.ActorLike, pk: int) -> EventRule:
    qs = access.scope_for(
        EventRule.objects.select_related("client", "integration"), actor, "integrations.view"
    )
    return access.object_access(actor, qs, pk=pk)


def maintenance_window_list(
    *, actor: access.ActorLike, client: Client | None = None
) -> QuerySet[MaintenanceWindow]:
    qs = access.scope_for(
        MaintenanceWindow.objects.select_related("client", "service"), actor, "integrations.view"
    )
    if client is not None:
        qs = qs.filter(client=client)
    return qs.order_by("-starts_at", "id")


def maintenance_window_access(*, actor: access.ActorLike, pk: int) -> MaintenanceWindow:
    qs = access.scope_for(
        MaintenanceWindow.objects.select_related("client", "service"), actor, "integrations.view"
    )
    return access.object_access(actor, qs, pk=pk)


def alert_for_identifier(*, integration: Integration, identifier: str, identifier_type: str) -> Alert | None:
    """The alert an Opsgenie identifier names among the alerts of `integration`'s client (a key
    never reaches another client's alerts): by id ("tiny" ids are the same number), or by alias:
    the open alert of the alias from this integration, else the latest alert with that alias."""
    alerts = Alert.objects.filter(client_id=integration.client_id).select_related(
        "integration", "incident__owner"
    )
    if identifier_type in ("id", "tiny"):
        if not (identifier.isascii() and identifier.isdigit() and len(identifier) < 19):
            return None
        return alerts.filter(pk=int(identifier)).first()
    if identifier_type != "alias":
        return None
    return (
        alerts.filter(integration=integration, dedup_key=identifier, status__in=OPEN_STATUSES).first()
        or alerts.filter(dedup_key=identifier).order_by("-first_seen_at", "-id").first()
    )
