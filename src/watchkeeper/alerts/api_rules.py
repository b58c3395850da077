"""REST adapters for event rules and maintenance windows. Thin: access, selectors and services
decide (reads need `integrations.view`, writes `services.manage` on the client)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from ninja import Router, Status

from watchkeeper.alerts import selectors
from watchkeeper.alerts.models import EventRule, Integration, MaintenanceWindow
from watchkeeper.alerts.schemas import (
    EventRuleCreateIn,
    EventRuleOrderIn,
    EventRuleOut,
    EventRuleTryIn,
    EventRuleTryOut,
    EventRuleUpdateIn,
    MaintenanceWindowCreateIn,
    MaintenanceWindowOut,
    MaintenanceWindowUpdateIn,
)
from watchkeeper.alerts.services import rules
from watchkeeper.alerts.services.rule_trial import event_rules_try
from watchkeeper.core.pagination import paginated
from watchkeeper.core.schemas import Id
from watchkeeper.tenancy import access
from watchkeeper.tenancy.http import ApiRequest
from watchkeeper.tenancy.models import Client

router = Router(tags=["event rules"])


def _client(request: ApiRequest, slug: str | None) -> Client | None:
    return access.client_access(request.auth, slug) if slug else None


def _integration(request: ApiRequest, client: Client, integration_id: int | None) -> Integration | None:
    """An integration a write points at: the client's, else 400 (another tenant's is unknown)."""
    if integration_id is None:
        return None
    return access.reference(
        request.auth, Integration.objects.filter(client=client), label="integration", pk=integration_id
    )


@router.get("/event-rules", response=list[EventRuleOut])
@paginated()
def list_event_rules(request: ApiRequest, client: str | None = None) -> QuerySet[EventRule]:
    """Rules per client in the order they apply."""
    return selectors.event_rule_list(actor=request.auth, client=_client(request, client))


@router.post("/event-rules", response={201: EventRuleOut})
def create_event_rule(request: ApiRequest, body: EventRuleCreateIn) -> Status[EventRule]:
    actor = request.auth
    client = access.client_reference(actor, body.client)
    rule = rules.event_rule_create(
        actor=actor, client=client, name=body.name, conditions=body.conditions, actions=body.actions,
        integration=_integration(request, client, body.integration_id), position=body.position,
        is_enabled=body.is_enabled, via="api",
    )  # fmt: skip
    return Status(201, selectors.event_rule_access(actor=actor, pk=rule.pk))


@router.post("/event-rules/order", response=list[EventRuleOut])
def order_event_rules(request: ApiRequest, body: EventRuleOrderIn) -> list[EventRule]:
    """Put all of a client's rules in a new order."""
    actor = request.auth
    client = access.client_reference(actor, body.client)
    rules.event_rule_reorder(actor=actor, client=client, rule_ids=body.rule_ids, via="api")
    return list(selectors.event_rule_list(actor=actor, client=client))


@router.post("/event-rules/try", response=EventRuleTryOut)
def try_event_rules(request: ApiRequest, body: EventRuleTryIn) -> dict[str, Any]:
    """What the client's rules and maintenance windows would do with a sample event (nothing
    is stored)."""
    actor = request.auth
    client = access.client_reference(actor, body.client)
    access.require(actor, "integrations.view", client=client)
    integration = _integration(request, client, body.integration_id)
    return event_rules_try(client=client, event=body.event, integration=integration)


@router.get("/event-rules/{rule_id}", response=EventRuleOut)
def get_event_rule(request: ApiRequest, rule_id: Id) -> EventRule:
    return selectors.event_rule_access(actor=request.auth, pk=rule_id)


@router.patch("/event-rules/{rule_id}", response=EventRuleOut)
def update_event_rule(request: ApiRequest, rule_id: Id, body: EventRuleUpdateIn) -> EventRule:
    actor = request.auth
    rule = selectors.event_rule_access(actor=actor, pk=rule_id)
    changes: dict[str, Any] = body.dict(exclude_unset=True)
    if "integration_id" in changes:
        changes["integration"] = _integration(request, rule.client, changes.pop("integration_id"))
    changes = {key: value for key, value in changes.items() if value is not None or key == "integration"}
    rules.event_rule_update(actor=actor, rule=rule, via="api", **changes)
    return selectors.event_rule_access(actor=actor, pk=rule_id)


@router.delete("/event-rules/{rule_id}", response={204: None})
def delete_event_rule(request: ApiRequest, rule_id: Id) -> Status[None]:
    actor = request.auth
    rules.event_rule_delete(actor=actor, rule=selectors.event_rule_access(actor=actor, pk=rule_id), via="api")
    return Status(204, None)


@router.get("/maintenance-windows", response=list[MaintenanceWindowOut], tags=["maintenance windows"])
@paginated()
def list_maintenance_windows(request: ApiRequest, client: str | None = None) -> QuerySet[MaintenanceWindow]:
    return selectors.maintenance_window_list(actor=request.auth, client=_client(request, client))


@router.post("/maintenance-windows", response={201: MaintenanceWindowOut}, tags=["maintenance windows"])
def create_maintenance_window(
    request: ApiRequest, body: MaintenanceWindowCreateIn
) -> Status[MaintenanceWindow]:
    actor = request.auth
    client = access.client_reference(actor, body.client)
    window = rules.maintenance_window_create(
        actor=actor, client=client, name=body.name, starts_at=body.starts_at, ends_at=body.ends_at,
        timezone=body.timezone, recurrence=body.recurrence, service=body.service_id, reason=body.reason,
        via="api",
    )  # fmt: skip
    return Status(201, selectors.maintenance_window_access(actor=actor, pk=window.pk))


@router.get("/maintenance-windows/{window_id}", response=MaintenanceWindowOut, tags=["maintenance windows"])
def get_maintenance_window(request: ApiRequest, window_id: Id) -> MaintenanceWindow:
    return selectors.maintenance_window_access(actor=request.auth, pk=window_id)


@router.patch("/maintenance-windows/{window_id}", response=MaintenanceWindowOut, tags=["maintenance windows"])
def update_maintenance_window(
    request: ApiRequest, window_id: Id, body: MaintenanceWindowUpdateIn
) -> MaintenanceWindow:
    actor = request.auth
    window = selectors.maintenance_window_access(actor=actor, pk=window_id)
    changes: dict[str, Any] = body.dict(exclude_unset=True)
    if "service_id" in changes:
        changes["service"] = changes.pop("service_id")
    # null leaves a field as it is, except where it means "none" (whole client, no recurrence).
    keep_null = {"service", "recurrence", "reason"}
    changes = {key: value for key, value in changes.items() if value is not None or key in keep_null}
    rules.maintenance_window_update(actor=actor, window=window, via="api", **changes)
    return selectors.maintenance_window_access(actor=actor, pk=window_id)


@router.delete("/maintenance-windows/{window_id}", response={204: None}, tags=["maintenance windows"])
def delete_maintenance_window(request: ApiRequest, window_id: Id) -> Status[None]:
    actor = request.auth
    window = selectors.maintenance_window_access(actor=actor, pk=window_id)
    rules.maintenance_window_delete(actor=actor, window=window, via="api")
    return Status(204, None)
