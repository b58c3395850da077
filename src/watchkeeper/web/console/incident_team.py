"""Console actions of the incident page for working together: hand off, category, responders
and merging. Thin adapters over services and coordination, sharing `incident._act`."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from watchkeeper.accounts.models import User
from watchkeeper.core.errors import InvalidInput, NotFound
from watchkeeper.incidents import coordination, selectors, services
from watchkeeper.incidents import forms as incident_forms
from watchkeeper.incidents.models import Incident
from watchkeeper.tenancy.http import AuthenticatedHttpRequest
from watchkeeper.web.console.common import new_owner
from watchkeeper.web.console.incident import _act


def _person(user: User, pk: int, field: str) -> User:
    person = new_owner(user, str(pk))
    if person is None:  # pragma: no cover - a positive id always names someone or fails
        raise InvalidInput("Choose a person.", field=field)
    return person


@login_required
@require_POST
def incident_hand_off(request: AuthenticatedHttpRequest, incident_id: int) -> HttpResponse:
    def act(incident: Incident, user: User, fields: dict[str, Any]) -> str:
        to = _person(user, fields["owner"], "owner")
        incident = services.incident_hand_off(incident=incident, by=user, to=to, note=fields["note"])
        return f"Handed {incident.reference} off to {to.full_name or to.email}."

    return _act(request, incident_id, act, incident_forms.HandOffForm)


@login_required
@require_POST
def incident_category(request: AuthenticatedHttpRequest, incident_id: int) -> HttpResponse:
    def act(incident: Incident, user: User, fields: dict[str, Any]) -> str:
        incident = services.incident_set_category(incident=incident, by=user, category=fields["category"])
        return f"{incident.reference}: category {incident.category or 'none'}."

    return _act(request, incident_id, act, incident_forms.CategoryForm)


@login_required
@require_POST
def incident_responder_add(request: AuthenticatedHttpRequest, incident_id: int) -> HttpResponse:
    def act(incident: Incident, user: User, fields: dict[str, Any]) -> str:
        person = _person(user, fields["user"], "user")
        responder = coordination.responder_add(incident=incident, by=user, user=person, role=fields["role"])
        return f"{person.full_name or person.email} responds as {responder.get_role_display().lower()}."

    return _act(request, incident_id, act, incident_forms.ResponderForm)


@login_required
@require_POST
def incident_responder_remove(request: AuthenticatedHttpRequest, incident_id: int) -> HttpResponse:
    def act(incident: Incident, user: User, fields: dict[str, Any]) -> str:
        person = _person(user, fields["user"], "user")
        coordination.responder_remove(incident=incident, by=user, user=person)
        return f"{person.full_name or person.email} is no longer a responder."

    return _act(request, incident_id, act, incident_forms.ResponderRemoveForm)


def _merge_target(user: User, pk: int) -> Incident:
    try:
        return selectors.incident_access(actor=user, pk=pk)
    except NotFound:  # the write points at it: 400, not 404
        raise InvalidInput(f"Unknown incident {pk}.", field="into") from None


class _Unconfirmed(Exception):
    def __init__(self, source: Incident, target: Incident) -> None:
        super().__init__()
        self.source, self.target = source, target


@login_required
@require_POST
def incident_merge(request: AuthenticatedHttpRequest, incident_id: int) -> HttpResponse:
    """Merge this incident into another of the client's (`into`); one the user cannot see is 400.
    A merge cannot be undone, so a POST without `confirm=yes` only checks it and asks: a page
    that names both incidents and what will happen, whose button posts again, confirmed."""

    def act(incident: Incident, user: User, fields: dict[str, Any]) -> str:
        target = _merge_target(user, fields["into"])
        coordination.incident_merge_check(source=incident, target=target)
        if request.POST.get("confirm") != "yes":
            raise _Unconfirmed(incident, target)
        target = coordination.incident_merge(source=incident, target=target, by=user)
        return f"Merged {incident.reference} into {target.reference}."

    try:
        return _act(request, incident_id, act, incident_forms.MergeForm)
    except _Unconfirmed as ask:
        context = {
            "source": ask.source, "target": ask.target, "alerts": ask.source.alerts.count(),
            "tz": request.user.zone,
        }  # fmt: skip
        return render(request, "console/incidents/merge_confirm.html", context)
