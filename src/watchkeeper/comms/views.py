"""Console pages: communication policies and templates, composing a client update, the
leadership view, contact roles. Thin adapters: selectors read, configuration and services write."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from watchkeeper.comms import configuration, selectors, services
from watchkeeper.comms.configuration import ROLE_KEYS
from watchkeeper.comms.forms import TemplateForm, UpdateForm, rules_from_post
from watchkeeper.comms.messages import DEFAULTS
from watchkeeper.comms.models import CommsEvent, CommunicationPolicy, MessageKind, MessageTemplate
from watchkeeper.core import clock
from watchkeeper.core.errors import InvalidInput, NotFound, WatchkeeperError
from watchkeeper.incidents.selectors import incident_access, incident_list
from watchkeeper.policy.selectors import priority_keys
from watchkeeper.tenancy import access
from watchkeeper.tenancy.http import AuthenticatedHttpRequest
from watchkeeper.tenancy.models import Client, Contact


def _problems(form: Any) -> str:
    return "; ".join(f"{name}: {' '.join(map(str, errors))}" for name, errors in form.errors.items())


def _page(request: AuthenticatedHttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    user = request.user
    access.require(user, "policy.view")
    policies = list(selectors.policy_list_for(actor=user))
    templates = {(t.client_id, t.kind): t for t in selectors.template_list_for(actor=user)}
    covered = {p.client_id for p in policies}
    context = {
        "policies": [(p, [(key, p.rules.get(key) or {}) for key in priority_keys()]) for p in policies],
        "roles": ROLE_KEYS,
        "events": CommsEvent.choices,
        "kinds": MessageKind.choices,
        "msp_templates": [(kind, label, templates.get((None, kind))) for kind, label in MessageKind.choices],
        "client_templates": [t for (client_id, _), t in templates.items() if client_id is not None],
        "clients_without_policy": access.visible_clients(user).exclude(pk__in=[c for c in covered if c]),
        "has_default": None in covered,
        "can_edit_default": access.can_write(user, "policy.edit", client=None),
        "error": error,
    }
    return render(request, "comms/pages/page.html", context, status=status)


@login_required
@require_safe
def comms_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _page(request)


@login_required
@require_POST
def policy_save(request: AuthenticatedHttpRequest, policy_id: int | None = None) -> HttpResponse:
    user = request.user
    access.require(user, "console.use")
    policy: CommunicationPolicy | None = None
    client: Client | None = None
    if policy_id is not None:
        policy = selectors.policy_list_for(actor=user).filter(pk=policy_id).first()
        if policy is None:
            raise NotFound(f"No communication policy {policy_id}.")
        access.require(user, "policy.view")
        client = policy.client
    elif request.POST.get("client"):
        client = access.client_reference(user, request.POST["client"])
    post = request.POST
    fields: dict[str, Any] = {
        "rules": rules_from_post(post, priority_keys()),
        "from_name": post.get("from_name", ""),
        "reply_to": post.get("reply_to", "").strip(),
    }
    if post.get("remind_before_minutes", "").strip():
        remind = post["remind_before_minutes"].strip()
        fields["remind_before_minutes"] = int(remind) if remind.isdigit() else remind
    try:
        configuration.policy_save(actor=user, client=client, policy=policy, **fields)
    except WatchkeeperError as exc:
        return _page(request, error=exc.message, status=exc.status)
    messages.success(request, f"Saved the communication policy of {client.name if client else 'the MSP'}.")
    return redirect("comms:page")


def _template_target(
    request: AuthenticatedHttpRequest, kind: str
) -> tuple[Client | None, MessageTemplate | None]:
    if kind not in MessageKind.values:
        raise NotFound(f"No message kind '{kind}'.")
    slug = request.GET.get("client", "").strip()
    client = access.client_access(request.user, slug) if slug else None
    rows = selectors.template_list_for(actor=request.user).filter(kind=kind)
    row = rows.filter(client=client).first() if client else rows.filter(client__isnull=True).first()
    return client, row


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def template_page(request: AuthenticatedHttpRequest, kind: str) -> HttpResponse:
    """One template of the MSP (or of `?client=`): edit, preview with a real incident, save.
    A template that does not render is refused with the line that failed."""
    user = request.user
    client, row = _template_target(request, kind)
    access.require(user, "policy.view")
    subject, body = (row.subject, row.body) if row else DEFAULTS[kind]
    form = TemplateForm(request.POST or None, initial={"subject": subject, "body": body})
    preview, error, status = None, "", 200
    if request.method == "POST":
        if not form.is_valid():
            error, status = f"Check the form: {_problems(form)}", 400
        else:
            data = form.cleaned_data
            try:
                if "save" in request.POST:
                    configuration.template_save(actor=user, client=client, kind=kind, template=row,
                                                subject=data["subject"], body=data["body"])  # fmt: skip
                    messages.success(request, "Saved the template.")
                    return redirect("comms:page")
                incident = incident_access(actor=user, pk=data["incident"]) if data.get("incident") else None
                preview = configuration.template_check(
                    subject=data["subject"], body=data["body"], incident=incident
                )
            except NotFound:
                error, status = "Unknown incident: choose one from the list.", 400
            except WatchkeeperError as exc:
                error, status = exc.message, exc.status
    recent = incident_list(actor=user, client=client)[:20] if access.can(user, "console.use") else []
    context = {"form": form, "kind": kind, "label": MessageKind(kind).label, "client": client, "row": row,
               "preview": preview, "error": error, "incidents": recent}  # fmt: skip
    return render(request, "comms/pages/template.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def compose_page(request: AuthenticatedHttpRequest, incident_id: int) -> HttpResponse:
    """Write a client update: who receives it, the text, the ETA and the next update's time."""
    user = request.user
    incident = incident_access(actor=user, pk=incident_id)
    access.require(user, "console.use")
    access.require(user, "incidents.respond", client=incident.client)
    state = selectors.incident_state(incident=incident)
    initial = {"eta": state.eta, "next_update_by": state.next_update_by} if state else {}
    form = UpdateForm(request.POST or None, initial=initial)
    error, status = "", 200
    if request.method == "POST":
        with timezone.override(user.zone):  # the times typed are in the user's own zone
            valid = form.is_valid()
        if not valid:
            error, status = f"Check the form: {_problems(form)}", 400
        else:
            try:
                update = services.update_send(incident=incident, by=user, **form.cleaned_data)
            except WatchkeeperError as exc:
                error, status = exc.message, exc.status
            else:
                count = update.deliveries.count()
                messages.success(
                    request, f"Update sent: e-mailed to {count} recipient{'s' if count != 1 else ''}."
                )
                return redirect("incidents:detail", incident_id=incident.pk)
    context = {
        "incident": incident, "form": form, "error": error, "state": state,
        "recipients": services.update_preview(incident=incident, actor=user), "tz": user.zone,
    }  # fmt: skip
    return render(request, "comms/pages/compose.html", context, status=status)


@login_required
@require_safe
def leadership_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every open P1/P2 across the clients the user sees, with owner, last and next update, SLA."""
    user = request.user
    access.require(user, "console.use")
    rows = selectors.leadership_rows(actor=user)
    return render(request, "comms/pages/leadership.html", {"rows": rows, "now": clock.now(), "tz": user.zone})


@login_required
@require_POST
def contact_roles(request: AuthenticatedHttpRequest, contact_id: int) -> HttpResponse:
    user = request.user
    contact = access.object_access(user, Contact.objects.select_related("client"), pk=contact_id)
    try:
        configuration.contact_roles_set(actor=user, contact=contact, roles=request.POST.getlist("roles"))
    except InvalidInput as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Saved {contact.name}'s roles.")
    return redirect("tenancy:client", slug=contact.client.slug)
