"""The incident queue (with SLA clocks and filters), bulk actions on it, and the form for an
incident reported by hand (a phone call).

Thin adapters: incidents' and SLA's selectors read (scoped by the access module), the services
write; the view computes every row's SLA clocks, the templates only render.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html_join
from django.views.decorators.http import require_POST, require_safe

from watchkeeper.accounts.models import User
from watchkeeper.comms import selectors as comms
from watchkeeper.core import clock
from watchkeeper.core.errors import Forbidden, InvalidInput, WatchkeeperError
from watchkeeper.core.pagination import Page
from watchkeeper.incidents import coordination, selectors, services
from watchkeeper.incidents import forms as incident_forms
from watchkeeper.incidents.models import Incident
from watchkeeper.policy.selectors import policy_get, priority_list
from watchkeeper.sla import selectors as sla
from watchkeeper.tenancy import access
from watchkeeper.tenancy import selectors as tenancy
from watchkeeper.tenancy.http import AuthenticatedHttpRequest
from watchkeeper.tenancy.models import Client
from watchkeeper.web.console.common import console_user, new_owner, owner_choices

STATUS_FILTERS = {
    "open": ("open",),
    "triggered": ("triggered",),
    "acknowledged": ("acknowledged",),
    "waiting": ("waiting_client", "waiting_vendor"),
    "resolved": ("resolved", "closed"),
    "all": (),
}
OWNER_FILTERS = (("", "Anyone"), ("mine", "Mine"), ("none", "Unassigned"))


def _owner_filter(user: User, value: str) -> selectors.OwnerFilter | None:
    if value == "mine":
        return selectors.OwnerFilter(user_id=user.pk)
    if value == "none":
        return selectors.OwnerFilter(unowned=True)
    if value.isdigit():
        return selectors.OwnerFilter(user_id=int(value))
    return None


def _filtered(request: AuthenticatedHttpRequest, user: User, client: Client | None) -> QuerySet[Incident]:
    get = request.GET
    status = get.get("status", "open")
    if status not in STATUS_FILTERS:
        raise InvalidInput(f"Unknown status '{status}'. Use one of: {', '.join(STATUS_FILTERS)}.")
    service = get.get("service", "")
    incidents = selectors.incident_list(
        actor=user, client=client, status=STATUS_FILTERS[status],
        priority=[get["priority"]] if get.get("priority") else [],
        service=int(service) if service.isdigit() else None,
        owner=_owner_filter(user, get.get("owner", "")), query=get.get("q", ""),
    )  # fmt: skip
    if get.get("sla"):  # only incidents with a clock at risk or breached
        incidents = sla.incidents_with_sla_risk(incidents, risk=get["sla"])
    if get.get("sort") == "breach":  # the queue by time to SLA breach
        return sla.incidents_by_time_to_breach(incidents)
    # The queue: most urgent first; among equals, open work oldest first, history newest first.
    return selectors.incident_queue_order(incidents, open_first=status not in ("resolved", "all"))


def _rows(page: Page) -> list[tuple[Incident, list[sla.ClockView], bool]]:
    """Each incident of the page with its SLA clocks and whether a client update is overdue,
    read for the whole page in one query each."""
    ids = [incident.pk for incident in page.items]
    clocks = sla.clock_views_for_incidents(ids)
    overdue = comms.overdue_incident_ids(ids)
    return [(incident, clocks.get(incident.pk, []), incident.pk in overdue) for incident in page.items]


@login_required
@require_safe
def start(request: AuthenticatedHttpRequest) -> HttpResponse:
    """`/`: what each user works from, the open incidents for staff and the portal for clients."""
    return redirect("tenancy:portal" if request.user.is_portal_user else "incidents:list")


@login_required
@require_safe
def incident_list_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The queue. The page polls itself every 10 s with htmx targeting `#queue`; that request
    gets only the results, so the queue stays live without a reload."""
    user = console_user(request)
    slug = request.GET.get("client", "").strip()
    client = access.client_access(user, slug) if slug else None  # another tenant's: 404
    searching = bool(request.GET.get("q", "").strip())
    incidents = _filtered(request, user, client)
    page = selectors.incident_page(incidents, page=request.GET.get("page"), size=50, searching=searching)
    capped = searching and page.count >= selectors.SEARCH_COUNT_LIMIT
    common = {"page": page, "rows": _rows(page), "client": client, "filters": request.GET,
              "capped": capped, "status": request.GET.get("status", "open"), "tz": user.zone,
              "now": clock.now(), "can_open": _openable_clients(user).exists()}  # fmt: skip
    if request.headers.get("HX-Target") == "queue":
        response = render(request, "console/incidents/partials/queue.html", common)
        patch_vary_headers(response, ["HX-Target"])
        return response
    context = {
        **common,
        "client_options": _client_options(user, client),
        "services": tenancy.service_list(actor=user, client=client) if client else [],
        "priorities": priority_list(),
        "statuses": list(STATUS_FILTERS),
        "owners": OWNER_FILTERS,
        "colleagues": owner_choices(user, None),
    }
    return render(request, "console/incidents/list.html", context)


def _client_options(user: User, chosen: Client | None) -> str:
    """The client filter's <option>s, built in one call: an MSP with hundreds of clients would
    otherwise spend a good part of the page's time in template lookups for this one menu."""
    rows = access.visible_clients(user).order_by("name").values_list("slug", "name")
    selected = chosen.slug if chosen else None
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((slug, " selected" if slug == selected else "", name) for slug, name in rows),
    )


@login_required
@require_POST
def incident_bulk(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Acknowledge or assign the ticked incidents: each is checked and changed on its own, so
    one that may not be touched is reported and the others still change."""
    user = console_user(request)
    ids = [int(value) for value in request.POST.getlist("incident") if value.isdigit()]
    back = request.POST.get("next", "")
    back = back if back.startswith("/incidents/") else "/incidents/"
    if not ids:
        messages.error(request, "Tick at least one incident first.")
        return redirect(back)
    action = request.POST.get("action", "")
    try:
        if action == "acknowledge":
            done = coordination.incident_bulk_acknowledge(actor=user, ids=ids).summary("Acknowledged")
        elif action == "assign":
            owner = new_owner(user, request.POST.get("owner", ""))
            done = coordination.incident_bulk_assign(actor=user, ids=ids, owner=owner).summary("Assigned")
        else:
            raise InvalidInput("Choose acknowledge or assign.", field="action")
    except WatchkeeperError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(request, done)
    return redirect(back)


# --- a new incident ----------------------------------------------------------------------------


def _openable_clients(user: User) -> QuerySet[Client]:
    clients = Client.objects.filter(is_active=True).order_by("name")
    return access.scope_for(clients, user, "incidents.open", field="pk")


@login_required
def incident_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = console_user(request)
    clients = _openable_clients(user)
    if not clients.exists():
        raise Forbidden("You may not open incidents for any client.")
    data = request.POST if request.method == "POST" else None
    initial = {"client": request.GET.get("client"), "impact": "medium", "urgency": "medium"}
    form = incident_forms.IncidentForm(data, user=user, clients=clients, policy=policy_get(), initial=initial)
    if data is not None and form.is_valid():
        fields = form.cleaned_data
        try:
            incident = services.incident_open(
                client=fields["client"], service=fields["service"], title=fields["title"],
                description=fields["description"], impact=fields["impact"], urgency=fields["urgency"],
                category=fields["category"], by=user, data={"via": "console"},
            )  # fmt: skip
        except InvalidInput as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"Opened {incident.reference} as {incident.priority}.")
            return redirect("incidents:detail", incident_id=incident.pk)
    status = 400 if data is not None else 200
    return render(request, "console/incidents/new.html", {"form": form}, status=status)
