"""REST adapters for clients, sites, services and contacts. Thin: access and services decide."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from ninja import Router, Status

from watchkeeper.core.pagination import paginated
from watchkeeper.core.schemas import Id
from watchkeeper.tenancy import access, selectors, services
from watchkeeper.tenancy.http import ApiRequest
from watchkeeper.tenancy.models import Client, Contact, Service, Site
from watchkeeper.tenancy.schemas import (
    ClientCreateIn,
    ClientOut,
    ClientUpdateIn,
    ContactCreateIn,
    ContactOut,
    ContactUpdateIn,
    ServiceCreateIn,
    ServiceOut,
    ServiceUpdateIn,
    SiteOut,
)

router = Router(tags=["clients"])


def _filter_client(request: ApiRequest, client: str | None) -> Client | None:
    return access.client_access(request.auth, client) if client else None


@router.get("/clients", response=list[ClientOut])
@paginated()
def list_clients(request: ApiRequest, q: str = "", active: bool | None = None) -> QuerySet[Client]:
    return selectors.client_list(actor=request.auth, query=q, active=active)


@router.post("/clients", response={201: ClientOut})
def create_client(request: ApiRequest, body: ClientCreateIn) -> Status[Client]:
    return Status(201, services.client_create(actor=request.auth, via="api", **body.dict()))


@router.get("/clients/{slug}", response=ClientOut)
def get_client(request: ApiRequest, slug: str) -> Client:
    return access.client_access(request.auth, slug)


@router.patch("/clients/{slug}", response=ClientOut)
def update_client(request: ApiRequest, slug: str, body: ClientUpdateIn) -> Client:
    client = access.client_access(request.auth, slug)
    return services.client_update(
        actor=request.auth, client=client, via="api", **body.dict(exclude_unset=True)
    )


@router.get("/sites", response=list[SiteOut], tags=["sites"])
@paginated()
def list_sites(request: ApiRequest, client: str | None = None) -> QuerySet[Site]:
    return selectors.site_list(actor=request.auth, client=_filter_client(request, client))


@router.get("/sites/{site_id}", response=SiteOut, tags=["sites"])
def get_site(request: ApiRequest, site_id: Id) -> Site:
    return selectors.site_access(actor=request.auth, pk=site_id)


@router.get("/services", response=list[ServiceOut], tags=["services"])
@paginated()
def list_services(request: ApiRequest, client: str | None = None, q: str = "") -> QuerySet[Service]:
    return selectors.service_list(actor=request.auth, client=_filter_client(request, client), query=q)


@router.post("/services", response={201: ServiceOut}, tags=["services"])
def create_service(request: ApiRequest, body: ServiceCreateIn) -> Status[Service]:
    data: dict[str, Any] = body.dict()
    client = access.client_reference(request.auth, data.pop("client"))
    return Status(201, services.service_create(actor=request.auth, client=client, via="api", **data))


@router.get("/services/{service_id}", response=ServiceOut, tags=["services"])
def get_service(request: ApiRequest, service_id: Id) -> Service:
    return selectors.service_access(actor=request.auth, pk=service_id)


@router.patch("/services/{service_id}", response=ServiceOut, tags=["services"])
def update_service(request: ApiRequest, service_id: Id, body: ServiceUpdateIn) -> Service:
    service = selectors.service_access(actor=request.auth, pk=service_id)
    return services.service_update(
        actor=request.auth, service=service, via="api", **body.dict(exclude_unset=True)
    )


@router.get("/contacts", response=list[ContactOut], tags=["contacts"])
@paginated()
def list_contacts(request: ApiRequest, client: str | None = None, q: str = "") -> QuerySet[Contact]:
    return selectors.contact_list(actor=request.auth, client=_filter_client(request, client), query=q)


@router.post("/contacts", response={201: ContactOut}, tags=["contacts"])
def create_contact(request: ApiRequest, body: ContactCreateIn) -> Status[Contact]:
    data: dict[str, Any] = body.dict()
    client = access.client_reference(request.auth, data.pop("client"))
    return Status(201, services.contact_create(actor=request.auth, client=client, via="api", **data))


@router.get("/contacts/{contact_id}", response=ContactOut, tags=["contacts"])
def get_contact(request: ApiRequest, contact_id: Id) -> Contact:
    return selectors.contact_access(actor=request.auth, pk=contact_id)


@router.patch("/contacts/{contact_id}", response=ContactOut, tags=["contacts"])
def update_contact(request: ApiRequest, contact_id: Id, body: ContactUpdateIn) -> Contact:
    contact = selectors.contact_access(actor=request.auth, pk=contact_id)
    return services.contact_update(
        actor=request.auth, contact=contact, via="api", **body.dict(exclude_unset=True)
    )
