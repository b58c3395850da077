"""Console pages of paging: one's contact methods and rules (a panel on the account page), the
notification log, escalate/reassign on the incident page, and the one-click response page that
links in pages open. Escalation policies are in `policies`.

Thin adapters: selectors read, services write; errors are domain errors the middleware maps
to a page with the right status.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from watchkeeper.accounts.models import User
from watchkeeper.core.errors import InvalidInput, NotFound, RateLimited, WatchkeeperError
from watchkeeper.core.pagination import paginate
from watchkeeper.incidents.selectors import incident_access
from watchkeeper.paging import selectors
from watchkeeper.paging.models import ContactKind, ResponseAction
from watchkeeper.paging.services import config
from watchkeeper.paging.services.escalation import incident_escalate, incident_reassign
from watchkeeper.paging.services.notify import test_message_send
from watchkeeper.paging.services.responses import response_token_get, response_token_use
from watchkeeper.tenancy import access
from watchkeeper.tenancy.http import AuthenticatedHttpRequest


def _console(request: AuthenticatedHttpRequest) -> User:
    """The signed-in MSP user; portal users have no console (403)."""
    user = request.user
    access.require(user, "console.use")
    return user


def _int(value: str | None, field: str) -> int:
    if value is None or not value.strip().lstrip("-").isdigit():
        raise InvalidInput(f"{field} must be a whole number.", field=field)
    return int(value)


@login_required
@require_safe
def notification_log(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = _console(request)
    person = selectors.person_access(actor=user, user_id=_int(request.GET.get("user", str(user.pk)), "user"))
    page = paginate(selectors.message_log(user=person), page=request.GET.get("page"), size=50)
    return render(request, "paging/pages/log.html", {"page": page, "person": person})


def _back(request: AuthenticatedHttpRequest) -> HttpResponse:
    return redirect("accounts:account")


@login_required
@require_POST
def contact_method_add(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = _console(request)
    post = request.POST
    try:
        method = config.contact_method_create(
            actor=user, user=user, kind=post.get("kind", ""), label=post.get("label", ""),
            address=post.get("address", ""),
        )  # fmt: skip
        if post.get("delay_minutes", "").strip():
            config.rule_create(
                actor=user, user=user, contact_method_id=method.pk, urgency=post.get("urgency", "high"),
                delay_minutes=_int(post.get("delay_minutes"), "delay_minutes"),
            )  # fmt: skip
    except WatchkeeperError as exc:
        messages.error(request, exc.message)
        return _back(request)
    messages.success(request, f"Added {method}.")
    return _back(request)


@login_required
@require_POST
def contact_method_delete(request: AuthenticatedHttpRequest, method_id: int) -> HttpResponse:
    user = _console(request)
    config.contact_method_delete(actor=user, method=config.method_of(user=user, pk=method_id))
    messages.success(request, "Contact method removed.")
    return _back(request)


@login_required
@require_POST
def contact_method_test(request: AuthenticatedHttpRequest, method_id: int) -> HttpResponse:
    user = _console(request)
    method = config.method_of(user=user, pk=method_id)
    access.require(user, "paging.self")
    try:
        test_message_send(method=method, by=user)
    except RateLimited as exc:
        messages.error(request, exc.message)
        return _back(request)
    messages.success(request, f"A test message to {method} is on its way; see your notification log.")
    return _back(request)


@login_required
@require_POST
def rule_add(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = _console(request)
    post = request.POST
    try:
        config.rule_create(
            actor=user, user=user, contact_method_id=_int(post.get("contact_method"), "contact_method"),
            delay_minutes=_int(post.get("delay_minutes"), "delay_minutes"),
            urgency=post.get("urgency", "high"),
        )  # fmt: skip
    except WatchkeeperError as exc:
        messages.error(request, exc.message)
    return _back(request)


@login_required
@require_POST
def rule_delete(request: AuthenticatedHttpRequest, rule_id: int) -> HttpResponse:
    user = _console(request)
    config.rule_delete(actor=user, rule=config.rule_of(user=user, pk=rule_id))
    return _back(request)


@login_required
@require_POST
def escalate(request: AuthenticatedHttpRequest, incident_id: int) -> HttpResponse:
    user = _console(request)
    incident = incident_access(actor=user, pk=incident_id)  # another tenant's: 404
    access.require(user, "incidents.respond", client=incident.client)
    level = _int(request.POST.get("level"), "level")
    incident_escalate(incident=incident, level=level, by=user)
    messages.success(request, f"Escalated {incident.reference} to level {level}.")
    return redirect("incidents:detail", incident_id=incident.pk)


@login_required
@require_POST
def reassign(request: AuthenticatedHttpRequest, incident_id: int) -> HttpResponse:
    user = _console(request)
    incident = incident_access(actor=user, pk=incident_id)
    access.require(user, "incidents.respond", client=incident.client)
    to = selectors.reassign_candidate(incident=incident, user_id=_int(request.POST.get("user"), "user"))
    incident_reassign(incident=incident, to=to, by=user)
    messages.success(request, f"Reassigned {incident.reference} to {to}; paging them.")
    return redirect("incidents:detail", incident_id=incident.pk)


def respond(request: HttpRequest, token: str) -> HttpResponse:
    """A link from a page. GET shows what the link will do (mail scanners prefetch links, so
    GET never acts); the one button POSTs, which acts once."""
    if request.method == "POST":
        incident = response_token_use(secret=token)
        return render(request, "paging/pages/responded.html", {"incident": incident})
    if request.method not in {"GET", "HEAD"}:
        return HttpResponse(status=405)
    found = response_token_get(secret=token)
    if found.action == ResponseAction.REPLY:
        raise NotFound("This link is unknown or has expired.")
    return render(request, "paging/pages/respond.html", {"token": found, "kinds": ContactKind})
