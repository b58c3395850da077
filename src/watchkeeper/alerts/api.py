"""REST adapters for integrations and alerts. Thin: access, selectors and services decide."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from ninja import Query, Router, Status

from watchkeeper.alerts import selectors
from watchkeeper.alerts.api_rules import router as rules_router
from watchkeeper.alerts.models import Alert, Integration
from watchkeeper.alerts.schemas import (
    AlertDetailOut,
    AlertOut,
    IntegrationCreateIn,
    IntegrationDetailOut,
    IntegrationOut,
    IntegrationUpdateIn,
)
from watchkeeper.alerts.services import integrations
from watchkeeper.core.pagination import paginated
from watchkeeper.core.schemas import Id
from watchkeeper.tenancy import access
from watchkeeper.tenancy.http import ApiRequest
from watchkeeper.tenancy.models import Client, Service

router = Router()
router.add_router("", rules_router)  # event rules and maintenance windows

# Query parameters with descriptions, built once (they are declarations, not values).
_STATUS = Query([], description="triggered, acknowledged, resolved or open; repeat or comma-separate")


def _filter_client(request: ApiRequest, client: str | None) -> Client | None:
    return access.client_access(request.auth, client) if client else None


def _service(request: ApiRequest, service_id: int | None) -> Service | None:
    """A service a write points at; another tenant's answers 400."""
    if service_id is None:
        return None
    return access.reference(
        request.auth, Service.objects.select_related("client"), label="service", pk=service_id
    )


@router.get("/integrations", response=list[IntegrationOut], tags=["integrations"])
@paginated()
def list_integrations(
    request: ApiRequest, client: str | None = None, type: str = ""
) -> QuerySet[Integration]:
    return selectors.integration_list(actor=request.auth, client=_filter_client(request, client), type=type)


@router.post("/integrations", response={201: IntegrationDetailOut}, tags=["integrations"])
def create_integration(request: ApiRequest, body: IntegrationCreateIn) -> Status[Integration]:
    actor = request.auth
    client = access.client_reference(actor, body.client)
    access.require(actor, "integrations.manage", client=client)
    integration = integrations.integration_create(
        actor=actor, client=client, type=body.type, name=body.name,
        service=_service(request, body.service_id), config=body.config, via="api",
    )  # fmt: skip
    return Status(201, selectors.integration_access(actor=actor, pk=integration.pk))


@router.get("/integrations/{integration_id}", response=IntegrationDetailOut, tags=["integrations"])
def get_integration(request: ApiRequest, integration_id: Id) -> Integration:
    """The secret key is included only for those who may manage the integration."""
    return selectors.integration_access(actor=request.auth, pk=integration_id)


@router.patch("/integrations/{integration_id}", response=IntegrationDetailOut, tags=["integrations"])
def update_integration(request: ApiRequest, integration_id: Id, body: IntegrationUpdateIn) -> Integration:
    actor = request.auth
    integration = selectors.integration_access(actor=actor, pk=integration_id)
    changes: dict[str, Any] = body.dict(exclude_unset=True)
    if "default_service_id" in changes:
        changes["default_service"] = _service(request, changes.pop("default_service_id"))
    integrations.integration_update(actor=actor, integration=integration, via="api", **changes)
    return selectors.integration_access(actor=actor, pk=integration_id)


@router.post(
    "/integrations/{integration_id}/rotate-key", response=IntegrationDetailOut, tags=["integrations"]
)
def rotate_integration_key(request: ApiRequest, integration_id: Id) -> Integration:
    """A new key; the old one keeps working for 24 hours so senders can be updated."""
    actor = request.auth
    integration = selectors.integration_access(actor=actor, pk=integration_id)
    access.require(actor, "integrations.manage", client=integration.client)
    integrations.integration_rotate_key(actor=actor, integration=integration, via="api")
    return selectors.integration_access(actor=actor, pk=integration_id)


@router.get("/alerts", response=list[AlertOut], tags=["alerts"])
@paginated()
def list_alerts(
    request: ApiRequest,
    client: str | None = None,
    status: list[str] = _STATUS,
    dedup_key: str = "",
    integration: Id | None = None,
    service: Id | None = None,
    incident: Id | None = None,
) -> QuerySet[Alert]:
    return selectors.alert_list(
        actor=request.auth, client=_filter_client(request, client), status=status, dedup_key=dedup_key,
        integration=integration, service=service, incident=incident,
    )  # fmt: skip


@router.get("/alerts/{alert_id}", response=AlertDetailOut, tags=["alerts"])
def get_alert(request: ApiRequest, alert_id: Id) -> Alert:
    return selectors.alert_access(actor=request.auth, pk=alert_id)
