"""Console pages for incidents: the list, the incident page with its timeline and actions, and
the form for an incident reported by hand (a phone call).

Thin adapters: the selectors read (scoped by the access module), the services write; each
action is a POST that answers with a redirect, or with the page and the error (400/409).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html_join
from django.views.decorators.http import require_POST, require_safe

from watchkeeper.accounts import selectors as accounts
from watchkeeper.accounts.models import MSP_ADMIN_ROLES, MSP_ROLES, User
from watchkeeper.core import clock
from watchkeeper.core.errors import Forbidden, InvalidInput, NotFound, WatchkeeperError
from watchkeeper.incidents import coordination, selectors, services
from watchkeeper.incidents import forms as incident_forms
from watchkeeper.incidents.models import Incident, IncidentStatus, ResponderRole, TimelineEntry, TimelineKind
from watchkeeper.policy.markup import markdown_html
from watchkeeper.policy.selectors import policy_get, priority_list
from watchkeeper.sla.selectors import incidents_by_time_to_breach, incidents_with_sla_risk
from watchkeeper.tenancy import access
from watchkeeper.tenancy import selectors as tenancy
from watchkeeper.tenancy.models import Client

STATUS_FILTERS = {
    "open": ("open",),
    "triggered": ("triggered",),
    "acknowledged": ("acknowledged",),
    "waiting": ("waiting_client", "waiting_vendor"),
    "resolved": ("resolved", "closed"),
    "all": (),
}
OWNER_FILTERS = (("", "Anyone"), ("mine", "Mine"), ("none", "Unassigned"))
# One mark per timeline kind, so a long timeline can be scanned by eye.
KIND_ICONS = {
    "opened": "⚑",
    "alert": "⚠",
    "status": "●",
    "note": "✎",
    "priority": "⇅",
    "owner": "@",
    "change": "⚙",
}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _console(request: HttpRequest) -> User:
    """The signed-in MSP user; portal users have no console (403). Pages about one incident
    look it up first, so another tenant's incident is a 404 before any 403."""
    user = _user(request)
    access.require(user, "console.use")
    return user


def _zone(user: User) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(user.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


# --- the list ----------------------------------------------------------------------------------


def _owner_filter(user: User, value: str) -> selectors.OwnerFilter | None:
    if value == "mine":
        return selectors.OwnerFilter(user_id=user.pk)
    if value == "none":
        return selectors.OwnerFilter(unowned=True)
    if value.isdigit():
        return selectors.OwnerFilter(user_id=int(value))
    return None


def _filtered(request: HttpRequest, user: User, client: Client | None) -> QuerySet[Incident]:
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
    if get.get("sla"):  # sla: only incidents with a clock at risk or breached
        incidents = incidents_with_sla_risk(incidents, risk=get["sla"])
    if get.get("sort") == "breach":  # sla: the queue by time to SLA breach
        return incidents_by_time_to_breach(incidents)
    # The queue: most urgent first; among equals, open work oldest first, history newest first.
    return selectors.incident_queue_order(incidents, open_first=status not in ("resolved", "all"))


@login_required
@require_safe
def incident_list_page(request: HttpRequest) -> HttpResponse:
    """The queue. The page polls itself every 10 s with htmx targeting `#queue`; that request
    gets only the results, so the queue stays live without a reload."""
    user = _console(request)
    slug = request.GET.get("client", "").strip()
    client = access.client_access(user, slug) if slug else None  # another tenant's: 404
    searching = bool(request.GET.get("q", "").strip())
    incidents = _filtered(request, user, client)
    page = selectors.incident_page(incidents, page=request.GET.get("page"), size=50, searching=searching)
    capped = searching and page.count >= selectors.SEARCH_COUNT_LIMIT
    common = {"page": page, "client": client, "filters": request.GET, "capped": capped,
              "status": request.GET.get("status", "open"), "tz": _zone(user), "now": clock.now(),
              "can_open": _openable_clients(user).exists()}  # fmt: skip
    if request.headers.get("HX-Target") == "queue":
        response = render(request, "incidents/partials/queue.html", common)
        patch_vary_headers(response, ["HX-Target"])
        return response
    context = {
        **common,
        "client": client,
        "client_options": _client_options(user, client),
        "services": tenancy.service_list(actor=user, client=client) if client else [],
        "priorities": priority_list(),
        "statuses": list(STATUS_FILTERS),
        "owners": OWNER_FILTERS,
        "colleagues": _owner_choices(user, None),
    }
    return render(request, "incidents/list.html", context)


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
def incident_bulk(request: HttpRequest) -> HttpResponse:
    """Acknowledge or assign the ticked incidents: each is checked and changed on its own, so
    one that may not be touched is reported and the others still change."""
    user = _console(request)
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
            owner = _new_owner(user, request.POST.get("owner", ""))
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
def incident_new(request: HttpRequest) -> HttpResponse:
    user = _console(request)
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
    return render(request, "incidents/new.html", {"form": form}, status=status)


# --- the incident page and its actions -----------------------------------------------------------


def _owner_choices(user: User, client: Client | None) -> list[User]:
    """Colleagues to offer as owner: MSP staff who work on this client (any client: None). A
    convenience list only; incident_assign checks whoever is chosen."""
    staff = accounts.user_list(actor=user).filter(role__in=MSP_ROLES, is_active=True)
    if client is None:
        return list(staff.order_by("full_name", "email")[:200])
    works_here = Q(role__in=MSP_ADMIN_ROLES) | Q(all_clients=True) | Q(assigned_clients=client)
    return list(staff.filter(works_here).distinct().order_by("full_name", "email"))


def _page(
    request: HttpRequest, user: User, incident_id: int, *, error: str = "", status: int = 200
) -> HttpResponse:
    incident = selectors.incident_detail(actor=user, pk=incident_id)
    access.require(user, "console.use")
    can_respond = access.can(user, "incidents.respond", client=incident.client)
    policy = policy_get()
    show = request.GET.get("show", "all")
    entries = selectors.timeline_filtered(incident=incident, show=show)
    context = {
        "incident": incident,
        "timeline": [(entry, KIND_ICONS.get(entry.kind, "•"), _rendered(entry)) for entry in entries],
        "show": show,
        "timeline_filters": [(key, label) for key, (label, _) in selectors.TIMELINE_FILTERS.items()],
        "alerts": list(incident.alerts.all()),
        "responders": list(incident.responders.all()),
        "responder_roles": ResponderRole.choices,
        "can_respond": can_respond,
        "owners": _owner_choices(user, incident.client) if can_respond else [],
        "merge_targets": _merge_targets(user, incident) if can_respond and incident.is_open else [],
        "impact_levels": policy.impact_levels,
        "urgency_levels": policy.urgency_levels,
        "categories": policy.categories,
        "error": error,
        "tz": _zone(user),
        "now": clock.now(),
    }
    return render(request, "incidents/detail.html", context, status=status)


def _rendered(entry: TimelineEntry) -> str:
    """Notes and comments are Markdown (sanitised); every other entry is plain text."""
    if entry.kind in (TimelineKind.NOTE, TimelineKind.COMMENT):
        return markdown_html(entry.text)
    return ""


def _merge_targets(user: User, incident: Incident) -> list[Incident]:
    """The client's other open incidents, newest first: what this one can be merged into."""
    others = selectors.incident_list(actor=user, client=incident.client, status=["open"])
    return list(others.exclude(pk=incident.pk)[:50])


@login_required
@require_safe
def incident_page(request: HttpRequest, incident_id: int) -> HttpResponse:
    return _page(request, _user(request), incident_id)


Action = Callable[[Incident, User, dict[str, Any]], str]


def _act(
    request: HttpRequest,
    incident_id: int,
    action: Action,
    make_form: Callable[[Any], forms.Form] | None = None,
) -> HttpResponse:
    """Run one action on the incident: 404 if the user cannot see it, 403 if they may not
    respond, the page with the error if the action is refused, else back to the page."""
    user = _user(request)
    incident = selectors.incident_access(actor=user, pk=incident_id)
    access.require(user, "console.use")
    access.require(user, "incidents.respond", client=incident.client)
    fields: dict[str, Any] = {}
    if make_form is not None:
        form = make_form(request.POST)
        if not form.is_valid():
            problems = "; ".join(
                f"{name}: {' '.join(map(str, errors))}" for name, errors in form.errors.items()
            )
            return _page(request, user, incident_id, error=f"Check the form: {problems}", status=400)
        fields = form.cleaned_data
    try:
        done = action(incident, user, fields)
    except WatchkeeperError as exc:
        return _page(request, user, incident_id, error=exc.message, status=exc.status)
    messages.success(request, done)
    return redirect("incidents:detail", incident_id=incident_id)


@login_required
@require_POST
def incident_acknowledge(request: HttpRequest, incident_id: int) -> HttpResponse:
    def act(incident: Incident, user: User, fields: dict[str, Any]) -> str:
        was = incident.status
        incident = services.incident_acknowledge(incident=incident, by=user)
        if was != IncidentStatus.TRIGGERED:
            return f"{incident.reference} was already {incident.get_status_display().lower()}."
        return f"Acknowledged {incident.reference}."

    return _act(request, incident_id, act)


@login_required
@require_POST
def incident_resolve(request: HttpRequest, incident_id: int) -> HttpResponse:
    def act(incident: Incident, user: User, fields: dict[str, Any]) -> str:
        incident = services.incident_resolve(incident=incident, by=user, note=fields["note"].strip())
        return f"Resolved {incident.reference}."

    return _act(request, incident_id, act, incident_forms.ResolveForm)


@login_required
@require_POST
def incident_reopen(request: HttpRequest, incident_id: int) -> HttpResponse:
    def act(incident: Incident, user: User, fields: dict[str, Any]) -> str:
        incident = services.incident_reopen(incident=incident, by=user, reason=fields["reason"].strip())
        return f"Reopened {incident.reference}."

    return _act(request, incident_id, act, incident_forms.ReopenForm)


@login_required
@require_POST
def incident_close(request: HttpRequest, incident_id: int) -> HttpResponse:
    def act(incident: Incident, user: User, fields: dict[str, Any]) -> str:
        incident = services.incident_close(incident=incident, by=user)
        return f"Closed {incident.reference}."

    return _act(request, incident_id, act)


@login_required
@require_POST
def incident_note(request: HttpRequest, incident_id: int) -> HttpResponse:
    def act(incident: Incident, user: User, fields: dict[str, Any]) -> str:
        visible = fields["client_visible"]
        services.incident_note(incident=incident, by=user, text=fields["text"], client_visible=visible)
        return "Sent the update to the client." if visible else "Added the note to the timeline."

    return _act(request, incident_id, act, incident_forms.NoteForm)


@login_required
@require_POST
def incident_priority(request: HttpRequest, incident_id: int) -> HttpResponse:
    def form(data: Any) -> forms.Form:
        return incident_forms.PriorityForm(data, policy=policy_get())

    def act(incident: Incident, user: User, fields: dict[str, Any]) -> str:
        before = incident.priority
        incident = services.incident_set_priority(
            incident=incident, by=user, impact=fields["impact"], urgency=fields["urgency"]
        )
        if incident.priority == before:
            return f"{incident.reference} stays {incident.priority}."
        return f"{incident.reference} is now {incident.priority} (was {before})."

    return _act(request, incident_id, act, form)


@login_required
@require_POST
def incident_assign(request: HttpRequest, incident_id: int) -> HttpResponse:
    def act(incident: Incident, user: User, fields: dict[str, Any]) -> str:
        owner = _new_owner(user, fields["owner"])
        incident = services.incident_assign(incident=incident, by=user, owner=owner)
        if owner is None:
            return f"{incident.reference} has no owner now."
        return f"{owner.full_name or owner.email} owns {incident.reference}."

    return _act(request, incident_id, act, incident_forms.AssignForm)


def _new_owner(user: User, value: str) -> User | None:
    """The owner a form names: "me", a user id (one the user cannot see is a 400), or nobody."""
    if not value:
        return None
    if value == "me":
        return user
    try:
        return accounts.user_access(actor=user, pk=int(value))
    except NotFound:
        raise InvalidInput(f"Unknown user {value}.", field="owner") from None


@login_required
@require_POST
def incident_wait(request: HttpRequest, incident_id: int) -> HttpResponse:
    def act(incident: Incident, user: User, fields: dict[str, Any]) -> str:
        status = request.POST.get("status", "")
        incident = services.incident_set_waiting(incident=incident, by=user, status=status)
        return f"{incident.reference}: {incident.get_status_display().lower()}."

    return _act(request, incident_id, act)


@login_required
@require_POST
def incident_resume(request: HttpRequest, incident_id: int) -> HttpResponse:
    def act(incident: Incident, user: User, fields: dict[str, Any]) -> str:
        incident = services.incident_resume(incident=incident, by=user)
        return f"Resumed {incident.reference}."

    return _act(request, incident_id, act)
