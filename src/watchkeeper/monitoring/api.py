"""REST adapters for monitors (`/api/v1/monitors`) and each client's monitoring networks. Thin."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from ninja import Query, Router, Status

from watchkeeper.core.pagination import paginated
from watchkeeper.core.schemas import DateTime, Id
from watchkeeper.monitoring import selectors, services
from watchkeeper.monitoring.importing import monitors_import
from watchkeeper.monitoring.models import Monitor
from watchkeeper.monitoring.schemas import (
    HistoryOut,
    ImportIn,
    ImportOut,
    MonitorCreateIn,
    MonitorDetailOut,
    MonitorOut,
    MonitorUpdateIn,
    NetworksIn,
    NetworksOut,
    ResultsOut,
    TestOut,
)
from watchkeeper.tenancy import access
from watchkeeper.tenancy.http import ApiRequest
from watchkeeper.tenancy.models import Service

router = Router(tags=["monitors"])
BODY_SHOWN = 2000  # characters of a tested response's body in the answer


def _service(request: ApiRequest, service_id: int) -> Service:
    return access.reference(
        request.auth, Service.objects.select_related("client"), label="service", pk=service_id
    )


def _parent(request: ApiRequest, parent_id: int | None) -> Monitor | None:
    if parent_id is None:
        return None
    qs = access.scope_for(Monitor.objects.all(), request.auth, "integrations.view")
    return access.reference(request.auth, qs, label="parent", pk=parent_id)


@router.get("/monitors", response=list[MonitorOut])
@paginated()
def list_monitors(request: ApiRequest, client: str | None = None, state: str = "") -> QuerySet[Monitor]:
    """Monitors with their state; `state`: up, down, pending, paused or overdue."""
    found = access.client_access(request.auth, client) if client else None
    return selectors.monitor_list(actor=request.auth, client=found, state=state)


@router.post("/monitors", response={201: MonitorDetailOut})
def create_monitor(request: ApiRequest, body: MonitorCreateIn) -> Status[Monitor]:
    actor = request.auth
    client = access.client_reference(actor, body.client)
    access.require(actor, "integrations.manage", client=client)
    fields = body.dict(exclude={"client", "service_id", "parent_id"})
    fields["settings"] = fields["settings"] or {}
    fields["conditions"] = fields["conditions"] or []
    monitor = services.monitor_create(
        actor=actor, client=client, service=_service(request, body.service_id),
        parent=_parent(request, body.parent_id), via="api", **fields,
    )  # fmt: skip
    return Status(201, selectors.monitor_access(actor=actor, pk=monitor.pk))


@router.post("/monitors/import", response={201: ImportOut})
def import_monitors(request: ApiRequest, body: ImportIn) -> Status[dict[str, Any]]:
    """Create many monitors from YAML or CSV text: all of them, or none (400 naming the row)."""
    actor = request.auth
    client = access.client_reference(actor, body.client)
    access.require(actor, "integrations.manage", client=client)
    created = monitors_import(actor=actor, client=client, text=body.text, format=body.format, via="api")
    return Status(201, {"created": created})


@router.get("/monitors/{monitor_id}", response=MonitorDetailOut)
def get_monitor(request: ApiRequest, monitor_id: Id) -> Monitor:
    return selectors.monitor_access(actor=request.auth, pk=monitor_id)


@router.patch("/monitors/{monitor_id}", response=MonitorDetailOut)
def update_monitor(request: ApiRequest, monitor_id: Id, body: MonitorUpdateIn) -> Monitor:
    actor = request.auth
    monitor = selectors.monitor_access(actor=actor, pk=monitor_id)
    changes: dict[str, Any] = body.dict(exclude_unset=True)
    if "service_id" in changes:
        changes["service"] = _service(request, changes.pop("service_id"))
    if "parent_id" in changes:
        changes["parent"] = _parent(request, changes.pop("parent_id"))
    services.monitor_update(actor=actor, monitor=monitor, via="api", **changes)
    return selectors.monitor_access(actor=actor, pk=monitor_id)


@router.delete("/monitors/{monitor_id}", response={204: None})
def delete_monitor(request: ApiRequest, monitor_id: Id) -> Status[None]:
    monitor = selectors.monitor_access(actor=request.auth, pk=monitor_id)
    services.monitor_delete(actor=request.auth, monitor=monitor, via="api")
    return Status(204, None)


@router.post("/monitors/{monitor_id}/test", response=TestOut)
def test_monitor(request: ApiRequest, monitor_id: Id) -> dict[str, Any]:
    """Run the check once now and answer what it saw; records nothing."""
    monitor = selectors.monitor_access(actor=request.auth, pk=monitor_id)
    result = services.monitor_test(actor=request.auth, monitor=monitor)
    values = {k: (v[:BODY_SHOWN] if isinstance(v, str) else v) for k, v in result.values.items()}
    return {"ok": result.ok, "response_ms": result.response_ms, "message": result.message, "values": values}


@router.get("/monitors/{monitor_id}/results", response=ResultsOut)
def list_results(
    request: ApiRequest,
    monitor_id: Id,
    limit: int = Query(100, ge=1, le=1000),
    before: DateTime | None = None,
) -> dict[str, Any]:
    """Raw results of the last 48 hours, newest first: `limit` of them, checked before `before`."""
    monitor = selectors.monitor_access(actor=request.auth, pk=monitor_id)
    results = selectors.results_page(monitor=monitor, limit=limit, before=before)
    return {"monitor": monitor, "results": results}


@router.get("/monitors/{monitor_id}/history", response=HistoryOut)
def monitor_history(request: ApiRequest, monitor_id: Id, range: str = "24h") -> dict[str, Any]:
    """Rollups over `range` (24h, 7d, 30d or 365d): checks, failures, average and p95 response."""
    monitor = selectors.monitor_access(actor=request.auth, pk=monitor_id)
    return {
        "monitor": monitor,
        "range": range,
        "points": selectors.history(monitor=monitor, range_name=range),
    }


@router.get("/monitoring-networks/{slug}", response=NetworksOut)
def get_networks(request: ApiRequest, slug: str) -> dict[str, Any]:
    client = access.client_access(request.auth, slug)
    access.require(request.auth, "integrations.view", client=client)
    return {
        "client": client.slug,
        "client_name": client.name,
        "allowed_networks": selectors.network_policy(client=client),
    }


@router.put("/monitoring-networks/{slug}", response=NetworksOut)
def set_networks(request: ApiRequest, slug: str, body: NetworksIn) -> dict[str, Any]:
    """MSP owners and admins: the private networks this client's server-side monitors may reach."""
    client = access.client_access(request.auth, slug)
    policy = services.network_policy_set(
        actor=request.auth, client=client, networks=body.allowed_networks, via="api"
    )
    return {"client": client.slug, "client_name": client.name, "allowed_networks": policy.allowed_networks}
