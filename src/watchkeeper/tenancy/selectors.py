"""Reads for clients and what they own; every selector takes the acting user."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from watchkeeper.tenancy import access
from watchkeeper.tenancy.models import Client, Contact, Service, Site


def client_list(*, actor: access.ActorLike, query: str = "", active: bool | None = None) -> QuerySet[Client]:
    qs = access.visible_clients(actor).annotate(service_count=Count("services", distinct=True))
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(slug__icontains=query))
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("name")


def client_list_with_services(*, actor: access.ActorLike, query: str = "") -> QuerySet[Client]:
    """Clients with their services prefetched in one query (the technicians' home page)."""
    services = Service.objects.select_related("owner_team").order_by("name")
    return client_list(actor=actor, query=query).prefetch_related(Prefetch("services", queryset=services))


def service_list(
    *, actor: access.ActorLike, client: Client | None = None, query: str = ""
) -> QuerySet[Service]:
    qs = access.scope(Service.objects.select_related("client", "site", "owner_team"), actor)
    if client is not None:
        qs = qs.filter(client=client)
    if query:
        qs = qs.filter(name__icontains=query)
    return qs.order_by("client__name", "name")


def service_access(*, actor: access.ActorLike, pk: int) -> Service:
    return access.object_access(actor, Service.objects.select_related("client", "site", "owner_team"), pk=pk)


def site_list(*, actor: access.ActorLike, client: Client | None = None) -> QuerySet[Site]:
    qs = access.scope(Site.objects.select_related("client"), actor)
    if client is not None:
        qs = qs.filter(client=client)
    return qs.order_by("client__name", "name")


def site_access(*, actor: access.ActorLike, pk: int) -> Site:
    return access.object_access(actor, Site.objects.select_related("client"), pk=pk)


def contact_list(
    *, actor: access.ActorLike, client: Client | None = None, query: str = ""
) -> QuerySet[Contact]:
    qs = access.scope(Contact.objects.select_related("client"), actor)
    if client is not None:
        qs = qs.filter(client=client)
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(email__icontains=query))
    return qs.order_by("client__name", "-is_primary", "name")


def contact_access(*, actor: access.ActorLike, pk: int) -> Contact:
    return access.object_access(actor, Contact.objects.select_related("client"), pk=pk)
