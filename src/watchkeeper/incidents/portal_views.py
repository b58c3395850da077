"""The client portal's incident pages: a client's own incidents (open and past) with only
their client-visible updates, a form to raise a problem or request, and comments.

Every page asks the access module (`portal.*` actions); another client's incident is a 404.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from watchkeeper.accounts.models import User
from watchkeeper.core.errors import InvalidInput
from watchkeeper.core.forms import model_choice_field
from watchkeeper.core.pagination import paginate
from watchkeeper.incidents import portal, selectors
from watchkeeper.incidents.client_status import client_status
from watchkeeper.policy.markup import markdown_html
from watchkeeper.tenancy import access
from watchkeeper.tenancy import selectors as tenancy
from watchkeeper.tenancy.http import AuthenticatedHttpRequest
from watchkeeper.tenancy.models import Service


def _portal_user(request: AuthenticatedHttpRequest) -> User:
    user = request.user
    access.require(user, "portal.use")  # MSP staff use the console (403 here)
    return user


class RequestForm(forms.Form):
    kind = forms.ChoiceField(choices=portal.KINDS, widget=forms.RadioSelect, initial="problem")
    service = forms.ModelChoiceField(queryset=Service.objects.none(), empty_label="Choose what it is about")
    title = forms.CharField(max_length=200, label="In one line, what is wrong or what do you need?")
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}), required=False, max_length=5000,
        label="Anything that helps: what you see, since when, what you tried",
    )  # fmt: skip
    people = forms.ChoiceField(
        choices=portal.PEOPLE.answers, widget=forms.RadioSelect, label=portal.PEOPLE.text
    )
    working = forms.ChoiceField(
        choices=portal.WORKING.answers, widget=forms.RadioSelect, label=portal.WORKING.text
    )

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        services = tenancy.service_list(actor=user, client=user.client).filter(is_active=True)
        model_choice_field(self, "service").queryset = services


class CommentForm(forms.Form):
    text = forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


@login_required
@require_safe
def portal_incident_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = _portal_user(request)
    past = request.GET.get("show") == "past"
    incidents = selectors.portal_incident_list(actor=user, open_only=not past)
    page = paginate(incidents, page=request.GET.get("page"), size=25)
    context = {
        "page": page,
        "rows": [(incident, client_status(incident=incident)) for incident in page.items],
        "past": past,
        "client": user.client,
        "tz": user.zone,
    }
    return render(request, "incidents/portal/list.html", context)


def _detail(
    request: AuthenticatedHttpRequest, user: User, incident_id: int, form: CommentForm, status: int = 200
) -> HttpResponse:
    incident = selectors.portal_incident_detail(actor=user, pk=incident_id)  # not theirs: 404 first
    access.require(user, "portal.use")
    visible = incident.visible_timeline  # type: ignore[attr-defined]
    entries = [(entry, markdown_html(entry.text_in(user.zone))) for entry in visible]
    context = {
        "incident": incident,
        "status": client_status(incident=incident, entries=visible),
        "entries": entries,
        "form": form,
        "can_comment": access.can(user, "portal.comment", client=incident.client),
        "tz": user.zone,
    }
    return render(request, "incidents/portal/detail.html", context, status=status)


@login_required
@require_safe
def portal_incident_page(request: AuthenticatedHttpRequest, incident_id: int) -> HttpResponse:
    return _detail(request, request.user, incident_id, CommentForm())


@login_required
@require_POST
def portal_incident_comment(request: AuthenticatedHttpRequest, incident_id: int) -> HttpResponse:
    user = request.user
    incident = selectors.portal_incident_detail(actor=user, pk=incident_id)  # not theirs: 404 first
    access.require(user, "portal.comment", client=incident.client)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _detail(request, user, incident_id, form, status=400)
    try:
        portal.incident_comment(incident=incident, by=user, text=form.cleaned_data["text"])
    except InvalidInput as exc:
        form.add_error("text", exc.message)
        return _detail(request, user, incident_id, form, status=400)
    messages.success(request, "Your comment was added. Your IT provider sees it on the incident.")
    return redirect("portal:incident", incident_id=incident_id)


@login_required
def portal_request_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = _portal_user(request)
    data = request.POST if request.method == "POST" else None
    form = RequestForm(data, user=user)
    if data is not None and form.is_valid():
        fields = form.cleaned_data
        try:
            incident = portal.portal_request_open(
                user=user, service=fields["service"], kind=fields["kind"], title=fields["title"],
                description=fields["description"], people=fields["people"], working=fields["working"],
            )  # fmt: skip
        except InvalidInput as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"Thank you. We have it as {incident.reference}; updates appear here.")
            return redirect("portal:incident", incident_id=incident.pk)
    return render(
        request, "incidents/portal/new.html", {"form": form}, status=400 if data is not None else 200
    )
