"""Console pages for clients, and the portal landing page for client users."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render

from watchkeeper.core.errors import NotFound
from watchkeeper.core.pagination import paginate
from watchkeeper.core.panels import panels
from watchkeeper.tenancy import access, selectors
from watchkeeper.tenancy.http import AuthenticatedHttpRequest


@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Technicians' home: every client they may see, with its services."""
    user = request.user
    if user.is_portal_user:
        return redirect("tenancy:portal")
    query = request.GET.get("q", "").strip()
    page = paginate(
        selectors.client_list_with_services(actor=user, query=query), page=request.GET.get("page"), size=25
    )
    return render(request, "tenancy/home.html", {"page": page, "query": query})


@login_required
def client_detail(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    user = request.user
    client = access.client_access(user, slug)  # another tenant's client is 404 before any 403
    access.require(user, "console.use")
    context = {
        "client": client,
        "services": selectors.service_list(actor=user, client=client),
        "sites": selectors.site_list(actor=user, client=client),
        "contacts": selectors.contact_list(actor=user, client=client),
        "can_edit": access.can(user, "client.edit", client=client),
        "panels": panels("client", request, client=client),
    }
    return render(request, "tenancy/client_detail.html", context)


@login_required
def service_detail(request: AuthenticatedHttpRequest, slug: str, service_id: int) -> HttpResponse:
    """One service: what it is, its open incidents and recent history (loaded from the incident
    list, filtered to the service, so that list's own access rules apply)."""
    user = request.user
    client = access.client_access(user, slug)  # another tenant's client is 404 before any 403
    service = selectors.service_list(actor=user, client=client).filter(pk=service_id).first()
    if service is None:
        raise NotFound(f"No service {service_id} of {client.name}.")
    access.require(user, "console.use")
    return render(request, "tenancy/service_detail.html", {"client": client, "service": service})


@login_required
def portal(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The client portal's landing page: the user's own company and its services."""
    user = request.user
    if not user.is_portal_user or user.client is None:  # a portal user has a client (a constraint)
        return redirect("web:home")
    client = access.client_access(user, user.client.slug)
    context = {
        "client": client,
        "services": selectors.service_list(actor=user, client=client),
        "contacts": selectors.contact_list(actor=user, client=client),
    }
    return render(request, "tenancy/portal.html", context)
