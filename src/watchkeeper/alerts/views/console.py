"""Console pages of alert intake: integrations (list, create, setup page, key rotation,
switching on and off, the webhook template preview) and alerts (list, detail).

Thin adapters: the selectors read (scoped by the access module), the services write.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from watchkeeper.accounts.models import User
from watchkeeper.alerts import selectors
from watchkeeper.alerts.models import Alert, Integration, IntegrationType, Severity
from watchkeeper.alerts.models.alerts import OPEN_STATUSES
from watchkeeper.alerts.services import integrations as services
from watchkeeper.alerts.sources.registry import CHOICES, integration_setup
from watchkeeper.alerts.sources.setup import KEY_PLACEHOLDER, duration
from watchkeeper.alerts.sources.webhook.parse import webhook_preview
from watchkeeper.alerts.sources.webhook.setup import SAMPLE_WEBHOOK
from watchkeeper.core import clock
from watchkeeper.core.errors import Forbidden, InvalidInput
from watchkeeper.core.forms import model_choice_field
from watchkeeper.core.pagination import paginate
from watchkeeper.tenancy import access
from watchkeeper.tenancy import selectors as tenancy
from watchkeeper.tenancy.http import AuthenticatedHttpRequest
from watchkeeper.tenancy.models import Client, Service

SAMPLE_LIMIT = 64 * 1024  # characters of a pasted sample payload
ALERT_STATUS_FILTERS = ("open", "triggered", "acknowledged", "resolved", "all")


def _console(request: AuthenticatedHttpRequest) -> User:
    """The signed-in MSP user; portal users have no console (403). Pages about one object
    look it up first, so another tenant's object is a 404 before any 403."""
    user = request.user
    access.require(user, "console.use")
    return user


def _client_filter(user: User, request: AuthenticatedHttpRequest) -> Client | None:
    slug = request.GET.get("client", "").strip()
    return access.client_access(user, slug) if slug else None  # another tenant's: 404


def _manageable_clients(user: User) -> QuerySet[Client]:
    clients = Client.objects.filter(is_active=True).order_by("name")
    return access.scope_for(clients, user, "integrations.manage", field="pk")


# --- integrations ------------------------------------------------------------------------------


@login_required
@require_safe
def integration_list_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = _console(request)
    client = _client_filter(user, request)
    kind = request.GET.get("type", "")
    integrations = selectors.integration_list(actor=user, client=client, type=kind).annotate(
        open_alerts=Count("alerts", filter=Q(alerts__status__in=OPEN_STATUSES))
    )
    context = {
        "page": paginate(integrations, page=request.GET.get("page"), size=50),
        "client": client,
        "type": kind,
        "types": CHOICES,
        "clients": access.visible_clients(user).order_by("name"),
        "can_create": _manageable_clients(user).exists(),
    }
    return render(request, "alerts/integration_list.html", context)


class IntegrationForm(forms.Form):
    client = forms.ModelChoiceField(queryset=Client.objects.none(), to_field_name="slug")
    type = forms.ChoiceField(choices=CHOICES)
    name = forms.CharField(max_length=150, help_text="What sends the events, e.g. “NinjaOne RMM”.")
    service = forms.ModelChoiceField(
        queryset=Service.objects.none(),
        required=False,
        empty_label="The client's first service",
        help_text="Alerts go here unless a rule or the event names another service of the client.",
    )

    def __init__(self, *args: Any, user: User, clients: QuerySet[Client], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "client").queryset = clients
        chosen = clients.filter(slug=self["client"].value() or "").first()
        model_choice_field(self, "service").queryset = (
            tenancy.service_list(actor=user, client=chosen) if chosen else Service.objects.none()
        )


@login_required
def integration_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = _console(request)
    clients = _manageable_clients(user)
    if not clients.exists():
        raise Forbidden("You may not add integrations for any client.")
    data = request.POST if request.method == "POST" else None
    form = IntegrationForm(data, user=user, clients=clients, initial={"client": request.GET.get("client")})
    if data is not None and form.is_valid():
        try:
            integration = services.integration_create(
                actor=user, client=form.cleaned_data["client"], type=form.cleaned_data["type"],
                name=form.cleaned_data["name"], service=form.cleaned_data["service"], via="console",
            )  # fmt: skip
        except InvalidInput as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request, f"Created {integration.name}. Set up the sending tool with the key below."
            )
            return redirect("alerts:integration", integration_id=integration.pk)
    status = 400 if data is not None else 200
    return render(request, "alerts/integration_new.html", {"form": form}, status=status)


def _integration_page(
    request: AuthenticatedHttpRequest,
    user: User,
    integration: Integration,
    *,
    preview: dict[str, Any] | None = None,
    sample: str = "",
) -> HttpResponse:
    can_manage = selectors.integration_key_visible(actor=user, integration=integration)
    key = integration.key if can_manage else KEY_PLACEHOLDER
    setup = integration_setup(
        integration=integration, base=request.build_absolute_uri("/").rstrip("/"), key=key,
        email_domain=getattr(settings, "INBOUND_EMAIL_DOMAIN", "localhost"),
    )  # fmt: skip
    context = {
        "integration": integration,
        "can_manage": can_manage,
        "previous_key": selectors.integration_previous_key(integration=integration) if can_manage else None,
        "setup": setup,
        "grace": duration(int(services.DEFAULT_GRACE.total_seconds())),
        "grace_until": clock.now() + services.DEFAULT_GRACE,
        "recent_alerts": list(selectors.alert_list(actor=user, integration=integration.pk)[:10]),
        "sample": sample or json.dumps(SAMPLE_WEBHOOK, indent=2),
        "preview": preview,
        "tz": user.zone,
    }
    return render(request, "alerts/integration_detail.html", context)


@login_required
@require_safe
def integration_page(request: AuthenticatedHttpRequest, integration_id: int) -> HttpResponse:
    user = request.user
    integration = selectors.integration_access(actor=user, pk=integration_id)
    access.require(user, "console.use")
    return _integration_page(request, user, integration)


def _manageable(request: AuthenticatedHttpRequest, integration_id: int) -> tuple[User, Integration]:
    """The integration if the user may see it (else 404) and manage it (else 403)."""
    user = request.user
    integration = selectors.integration_access(actor=user, pk=integration_id)
    access.require(user, "console.use")
    access.require(user, "integrations.manage", client=integration.client)
    return user, integration


@login_required
@require_POST
def integration_rotate(request: AuthenticatedHttpRequest, integration_id: int) -> HttpResponse:
    user, integration = _manageable(request, integration_id)
    integration = services.integration_rotate_key(actor=user, integration=integration, via="console")
    until = integration.previous_key_expires_at.astimezone(user.zone)  # type: ignore[union-attr]
    messages.success(
        request,
        f"Issued a new key. The old key keeps working until {until:%Y-%m-%d %H:%M %Z}: "
        "update the sending tool before then.",
    )
    return redirect("alerts:integration", integration_id=integration.pk)


@login_required
@require_POST
def integration_enabled(request: AuthenticatedHttpRequest, integration_id: int) -> HttpResponse:
    user, integration = _manageable(request, integration_id)
    enabled = request.POST.get("enabled") == "1"
    services.integration_set_enabled(actor=user, integration=integration, enabled=enabled, via="console")
    if enabled:
        messages.success(request, f"{integration.name} is on: its events are accepted again.")
    else:
        messages.success(request, f"{integration.name} is off: its key is refused until you switch it on.")
    return redirect("alerts:integration", integration_id=integration.pk)


def _preview(sample: str, config: dict[str, Any]) -> dict[str, Any]:
    if len(sample) > SAMPLE_LIMIT:
        return {"ok": False, "errors": [f"The sample is longer than {SAMPLE_LIMIT // 1024} KB."]}
    try:
        payload = json.loads(sample)
    except (ValueError, RecursionError) as exc:
        return {"ok": False, "errors": [f"The sample is not valid JSON: {exc}"]}
    return webhook_preview(config=config, payload=payload)


@login_required
@require_POST
def integration_preview(request: AuthenticatedHttpRequest, integration_id: int) -> HttpResponse:
    """What the webhook templates make of a sample payload. Changes nothing."""
    user = request.user
    integration = selectors.integration_access(actor=user, pk=integration_id)
    access.require(user, "console.use")
    if integration.type != IntegrationType.WEBHOOK:
        raise InvalidInput("Only webhook integrations have templates to try.")
    sample = request.POST.get("payload", "")[: SAMPLE_LIMIT + 1]
    preview = _preview(sample, integration.config if isinstance(integration.config, dict) else {})
    if request.headers.get("HX-Request"):
        return render(request, "alerts/_preview.html", {"preview": preview})
    return _integration_page(request, user, integration, preview=preview, sample=sample)


# --- alerts ------------------------------------------------------------------------------------


def _narrow(alerts: QuerySet[Alert], request: AuthenticatedHttpRequest) -> QuerySet[Alert]:
    """The console's extra filters, on the already scoped list."""
    severity = request.GET.get("severity", "")
    if severity in Severity.values:
        alerts = alerts.filter(severity=severity)
    suppressed = request.GET.get("suppressed", "")
    if suppressed in {"yes", "no"}:
        alerts = alerts.filter(suppressed=suppressed == "yes")
    query = request.GET.get("q", "").strip()
    if query:
        alerts = alerts.filter(
            Q(summary__icontains=query) | Q(source__icontains=query) | Q(dedup_key__icontains=query)
        )
    return alerts


@login_required
@require_safe
def alert_list_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = _console(request)
    client = _client_filter(user, request)
    status = request.GET.get("status", "open")
    if status not in ALERT_STATUS_FILTERS:
        raise InvalidInput(f"Unknown status '{status}'. Use one of: {', '.join(ALERT_STATUS_FILTERS)}.")
    integration = request.GET.get("integration", "")
    alerts = selectors.alert_list(
        actor=user, client=client, status=() if status == "all" else (status,),
        integration=int(integration) if integration.isdigit() else None,
    )  # fmt: skip
    context = {
        "page": paginate(_narrow(alerts, request), page=request.GET.get("page"), size=50),
        "client": client,
        "clients": access.visible_clients(user).order_by("name"),
        "status": status,
        "statuses": ALERT_STATUS_FILTERS,
        "severities": Severity.choices,
        "filters": request.GET,
        "tz": user.zone,
        "now": clock.now(),
    }
    return render(request, "alerts/alert_list.html", context)


def _safe_links(items: Any) -> list[dict[str, str]]:
    """Links and images from an alert, with any address that is not http(s) dropped: the
    sender controls them, and a javascript: link must never reach a technician's click."""
    safe = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        href = str(item.get("href") or "")
        text = str(item.get("text") or item.get("alt") or "")
        if not href.lower().startswith(("http://", "https://")):
            href = ""
        if href or text:
            safe.append({"href": href, "text": text or href})
    return safe


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


@login_required
@require_safe
def alert_page(request: AuthenticatedHttpRequest, alert_id: int) -> HttpResponse:
    user = request.user
    alert = selectors.alert_access(actor=user, pk=alert_id)
    access.require(user, "console.use")
    context = {
        "alert": alert,
        "details": _pretty(selectors.alert_payload_shown(alert=alert, value=alert.details))
        if alert.details
        else "",
        "raw": _pretty(selectors.alert_payload_shown(alert=alert, value=alert.raw)),
        "links": _safe_links(alert.links) + _safe_links(alert.images),
        "tz": user.zone,
        "can_see_integration": access.can(user, "integrations.view", client=alert.client),
    }
    return render(request, "alerts/alert_detail.html", context)
