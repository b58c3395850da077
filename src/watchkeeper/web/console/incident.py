"""The incident page: the incident with its timeline and actions, and beside it what other apps
know of it (SLA clocks, paging, alerts). Each action is a POST that answers with a redirect, or
with the page and the error (400/409).

Thin adapters: the selectors read (scoped by the access module) and decide what the page shows,
the services write; the templates only render what `_page` computed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import linebreaksbr
from django.views.decorators.http import require_POST, require_safe

from watchkeeper.accounts.models import User
from watchkeeper.comms import selectors as comms
from watchkeeper.core import clock
from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.core.panels import panels
from watchkeeper.incidents import forms as incident_forms
from watchkeeper.incidents import selectors, services
from watchkeeper.incidents.models import Incident, IncidentStatus, ResponderRole, TimelineEntry, TimelineKind
from watchkeeper.knowledge.runbooks import incident_runbook_panel
from watchkeeper.mail.backend import server_paths_hidden
from watchkeeper.paging import selectors as paging
from watchkeeper.policy.markup import markdown_html
from watchkeeper.policy.selectors import policy_get
from watchkeeper.reviews import selectors as reviews
from watchkeeper.sla import selectors as sla
from watchkeeper.tenancy import access
from watchkeeper.tenancy.http import AuthenticatedHttpRequest
from watchkeeper.web.console.common import new_owner, owner_choices

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


def _page(
    request: AuthenticatedHttpRequest, user: User, incident_id: int, *, error: str = "", status: int = 200
) -> HttpResponse:
    incident = selectors.incident_detail(actor=user, pk=incident_id)
    access.require(user, "console.use")
    can_respond = access.can(user, "incidents.respond", client=incident.client)
    policy = policy_get()
    show = request.GET.get("show", "all")
    entries = selectors.timeline_filtered(incident=incident, show=show)
    # Who each client-visible update or announced event was e-mailed to, and how that went.
    deliveries = comms.deliveries_by_entry(incident=incident)
    for entry in entries:
        entry.client_deliveries = deliveries.get(entry.pk, [])  # type: ignore[attr-defined]
    context = {
        "incident": incident,
        "timeline": [
            (entry, KIND_ICONS.get(entry.kind, "•"), _rendered(entry, user.zone)) for entry in entries
        ],
        "show": show,
        "timeline_filters": [(key, label) for key, (label, _) in selectors.TIMELINE_FILTERS.items()],
        "alerts": list(selectors.incident_alerts(incident=incident)),
        "sla_clocks": sla.clock_views(incident=incident),
        "paging": paging.incident_panel(incident=incident, can_respond=can_respond),
        "review": reviews.review_for_incident(actor=user, incident_id=incident.pk),
        "panels": panels("incident", request, incident=incident),
        "runbooks": incident_runbook_panel(incident=incident, can_respond=can_respond),
        "responders": list(incident.responders.all()),
        "responder_roles": ResponderRole.choices,
        "can_respond": can_respond,
        "owners": owner_choices(user, incident.client) if can_respond else [],
        "merge_targets": _merge_targets(user, incident) if can_respond and incident.is_open else [],
        "impact_levels": policy.impact_levels,
        "urgency_levels": policy.urgency_levels,
        "categories": policy.categories,
        "error": error,
        "tz": user.zone,
        "now": clock.now(),
    }
    return render(request, "console/incidents/detail.html", context, status=status)


def _rendered(entry: TimelineEntry, zone: dt.tzinfo) -> str:
    """Notes and comments are Markdown (sanitised); every other entry is plain text, with the
    times it names shown in the viewer's zone, and without the server paths that delivery records
    written by older versions hold."""
    if entry.kind in (TimelineKind.NOTE, TimelineKind.COMMENT):
        return markdown_html(entry.text_in(zone))
    return linebreaksbr(server_paths_hidden(entry.text_in(zone)), autoescape=True)


def _merge_targets(user: User, incident: Incident) -> list[Incident]:
    """The client's other open incidents, newest first: what this one can be merged into."""
    others = selectors.incident_list(actor=user, client=incident.client, status=["open"])
    return list(others.exclude(pk=incident.pk)[:50])


@login_required
@require_safe
def incident_page(request: AuthenticatedHttpRequest, incident_id: int) -> HttpResponse:
    return _page(request, request.user, incident_id)


Action = Callable[[Incident, User, dict[str, Any]], str]


def _act(
    request: AuthenticatedHttpRequest,
    incident_id: int,
    action: Action,
    make_form: Callable[[Any], forms.Form] | None = None,
) -> HttpResponse:
    """Run one action on the incident: 404 if the user cannot see it, 403 if they may not
    respond, the page with the error if the action is refused, else back to the page."""
    user = request.user
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
def incident_acknowledge(request: AuthenticatedHttpRequest, incident_id: int) -> HttpResponse:
    def act(incident: Incident, user: User, fields: dict[str, Any]) -> str:
        was = incident.status
        incident = services.incident_acknowledge(incident=incident, by=user)
        if was != IncidentStatus.TRIGGERED:
            return f"{incident.reference} was already {incident.get_status_display().lower()}."
        return f"Acknowledged {incident.reference}."

    return _act(request, incident_id, act)


@login_required
@require_POST
def incident_resolve(request: AuthenticatedHttpRequest, incident_id: int) -> HttpResponse:
    def act(incident: Incident, user: User, fields: dict[str, Any]) -> str:
        incident = services.incident_resolve(
            incident=incident, by=user, note=fields["note"].strip(), client_visible=fields["client_visible"]
        )
        return f"Resolved {incident.reference}."

    return _act(request, incident_id, act, incident_forms.ResolveForm)


@login_required
@require_POST
def incident_reopen(request: AuthenticatedHttpRequest, incident_id: int) -> HttpResponse:
    def act(incident: Incident, user: User, fields: dict[str, Any]) -> str:
        incident = services.incident_reopen(incident=incident, by=user, reason=fields["reason"].strip())
        return f"Reopened {incident.reference}."

    return _act(request, incident_id, act, incident_forms.ReopenForm)


@login_required
@require_POST
def incident_close(request: AuthenticatedHttpRequest, incident_id: int) -> HttpResponse:
    def act(incident: Incident, user: User, fields: dict[str, Any]) -> str:
        incident = services.incident_close(incident=incident, by=user)
        return f"Closed {incident.reference}."

    return _act(request, incident_id, act)


@login_required
@require_POST
def incident_note(request: AuthenticatedHttpRequest, incident_id: int) -> HttpResponse:
    def act(incident: Incident, user: User, fields: dict[str, Any]) -> str:
        visible = fields["client_visible"]
        services.incident_note(incident=incident, by=user, text=fields["text"], client_visible=visible)
        return "Sent the update to the client." if visible else "Added the note to the timeline."

    return _act(request, incident_id, act, incident_forms.NoteForm)


@login_required
@require_POST
def incident_priority(request: AuthenticatedHttpRequest, incident_id: int) -> HttpResponse:
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
def incident_assign(request: AuthenticatedHttpRequest, incident_id: int) -> HttpResponse:
    def act(incident: Incident, user: User, fields: dict[str, Any]) -> str:
        owner = new_owner(user, fields["owner"])
        incident = services.incident_assign(incident=incident, by=user, owner=owner)
        if owner is None:
            return f"{incident.reference} has no owner now."
        return f"{owner.full_name or owner.email} owns {incident.reference}."

    return _act(request, incident_id, act, incident_forms.AssignForm)


@login_required
@require_POST
def incident_wait(request: AuthenticatedHttpRequest, incident_id: int) -> HttpResponse:
    def act(incident: Incident, user: User, fields: dict[str, Any]) -> str:
        status, note = request.POST.get("status", ""), request.POST.get("note", "")[:2000]
        incident = services.incident_set_waiting(incident=incident, by=user, status=status, note=note)
        return f"{incident.reference}: {incident.get_status_display().lower()}."

    return _act(request, incident_id, act)


@login_required
@require_POST
def incident_resume(request: AuthenticatedHttpRequest, incident_id: int) -> HttpResponse:
    def act(incident: Incident, user: User, fields: dict[str, Any]) -> str:
        incident = services.incident_resume(incident=incident, by=user)
        return f"Resumed {incident.reference}."

    return _act(request, incident_id, act)
