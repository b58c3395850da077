"""REST adapters for clients, sites, services and contacts. Thin: access and services decide."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import LimitOffsetPagination, paginate

from watchkeeper.tenancy import access, selectors, services
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


def _actor(request: HttpRequest) -> access.Actor:
    return request.auth  # type: ignore[attr-defined]


def _filter_client(request: HttpRequest, client: str | None) -> Client | None:
    return access.client_access(_actor(request), client) if client else None


@router.get("/clients", response=list[ClientOut])
@paginate(LimitOffsetPagination)
def list_clients(request: HttpRequest, q: str = "", active: bool | None = None) -> QuerySet[Client]:
    return selectors.client_list(actor=_actor(request), query=q, active=active)


@router.post("/clients", response={201: ClientOut})
def create_client(request: HttpRequest, body: ClientCreateIn) -> Status[Client]:
    return Status(201, services.client_create(actor=_actor(request), via="api", **body.dict()))


@router.get("/clients/{slug}", response=ClientOut)
def get_client(request: HttpRequest, slug: str) -> Client:
    return access.client_access(_actor(request), slug)


@router.patch("/clients/{slug}", response=ClientOut)
def update_client(request: HttpRequest, slug: str, body: ClientUpdateIn) -> Client:
    client = access.client_access(_actor(request), slug)
    return services.client_update(
        actor=_actor(request), client=client, via="api", **body.dict(exclude_unset=True)
    )


@router.get("/sites", response=list[SiteOut], tags=["sites"])
@paginate(LimitOffsetPagination)
def list_sites(request: HttpRequest, client: str | None = None) -> QuerySet[Site]:
    return selectors.site_list(actor=_actor(request), client=_filter_client(request, client))


@router.get("/sites/{site_id}", response=SiteOut, tags=["sites"])
def get_site(request: HttpRequest, site_id: int) -> Site:
    return selectors.site_access(actor=_actor(request), pk=site_id)


@router.get("/services", response=list[ServiceOut], tags=["services"])
@paginate(LimitOffsetPagination)
def list_services(request: HttpRequest, client: str | None = None, q: str = "") -> QuerySet[Service]:
    return selectors.service_list(actor=_actor(request), client=_filter_client(request, client), query=q)


@router.post("/services", response={201: ServiceOut}, tags=["services"])
def create_service(request: HttpRequest, body: ServiceCreateIn) -> Status[Service]:
    data: dict[str, Any] = body.dict()
    client = access.client_reference(_actor(request), data.pop("client"))
    return Status(201, services.service_create(actor=_actor(request), client=client, via="api", **data))


@router.get("/services/{service_id}", response=ServiceOut, tags=["services"])
def get_service(request: HttpRequest, service_id: int) -> Service:
    return selectors.service_access(actor=_actor(request), pk=service_id)


@router.patch("/services/{service_id}", response=ServiceOut, tags=["services"])
def update_service(request: HttpRequest, service_id: int, body: ServiceUpdateIn) -> Service:
    service = selectors.service_access(actor=_actor(request), pk=service_id)
    return services.service_update(
        actor=_actor(request), service=service, via="api", **body.dict(exclude_unset=True)
    )


@router.get("/contacts", response=list[ContactOut], tags=["contacts"])
@paginate(LimitOffsetPagination)
def list_contacts(request: HttpRequest, client: str | None = None, q: str = "") -> QuerySet[Contact]:
    return selectors.contact_list(actor=_actor(request), client=_filter_client(request, client), query=q)


@router.post("/contacts", response={201: ContactOut}, tags=["contacts"])
def create_contact(request: HttpRequest, body: ContactCreateIn) -> Status[Contact]:
    data: dict[str, Any] = body.dict()
    client = access.client_reference(_actor(request), data.pop("client"))
    return Status(201, services.contact_create(actor=_actor(request), client=client, via="api", **data))


@router.get("/contacts/{contact_id}", response=ContactOut, tags=["contacts"])
def get_contact(request: HttpRequest, contact_id: int) -> Contact:
    return selectors.contact_access(actor=_actor(request), pk=contact_id)


@router.patch("/contacts/{contact_id}", response=ContactOut, tags=["contacts"])
def update_contact(request: HttpRequest, contact_id: int, body: ContactUpdateIn) -> Contact:
    contact = selectors.contact_access(actor=_actor(request), pk=contact_id)
    return services.contact_update(
        actor=_actor(request), contact=contact, via="api", **body.dict(exclude_unset=True)
    )
