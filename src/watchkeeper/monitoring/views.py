"""Console pages of active monitoring: the list per client (state, uptime, sparkline), a
monitor's page (chart, recent results, "test now"), the form, and each client's networks.
Thin adapters: the selectors read (scoped by the access module), the services write."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from watchkeeper.accounts.models import User
from watchkeeper.core.errors import Forbidden, InvalidInput
from watchkeeper.core.pagination import paginate
from watchkeeper.monitoring import charts, selectors, services
from watchkeeper.monitoring.forms import MonitorForm, initial_from
from watchkeeper.monitoring.models import Monitor, MonitorState
from watchkeeper.tenancy import access
from watchkeeper.tenancy import selectors as tenancy
from watchkeeper.tenancy.http import AuthenticatedHttpRequest
from watchkeeper.tenancy.models import Client

STATES = ("up", "down", "pending", "paused", "overdue")
UPTIMES = (
    ("24 hours", dt.timedelta(hours=24)),
    ("7 days", dt.timedelta(days=7)),
    ("30 days", dt.timedelta(days=30)),
)


def _console(request: AuthenticatedHttpRequest) -> User:
    user = request.user
    access.require(user, "console.use")
    return user


def _manageable_clients(user: User) -> QuerySet[Client]:
    clients = Client.objects.filter(is_active=True).order_by("name")
    return access.scope_for(clients, user, "integrations.manage", field="pk")


@login_required
@require_safe
def monitor_list_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = _console(request)
    slug = request.GET.get("client", "").strip()
    client = access.client_access(user, slug) if slug else None
    state = request.GET.get("state", "")
    if state and state not in STATES:
        state = ""
    page = paginate(
        selectors.monitor_list(actor=user, client=client, state=state), page=request.GET.get("page"), size=50
    )
    summary = selectors.summaries(page.items)
    rows = [
        {"monitor": m, "uptime": summary[m.pk].uptime, "spark": charts.sparkline(summary[m.pk].spark),
         "overdue": selectors.is_overdue(m)}
        for m in page.items
    ]  # fmt: skip
    context = {
        "page": page, "rows": rows, "client": client, "state": state, "states": STATES,
        "clients": access.visible_clients(user).order_by("name"),
        "can_create": _manageable_clients(user).exists(),
    }  # fmt: skip
    return render(request, "monitoring/pages/list.html", context)


def _form(user: User, client: Client, data: Any = None, *, initial: dict[str, Any] | None = None,
          exclude: int | None = None) -> MonitorForm:  # fmt: skip
    service_choices = [(s.pk, s.name) for s in tenancy.service_list(actor=user, client=client)]
    parents = [
        (m.pk, m.name) for m in selectors.parent_choices(actor=user, client=client, exclude=exclude)[:500]
    ]
    return MonitorForm(data, services=service_choices, parents=parents, initial=initial)


def _save_errors(form: MonitorForm, exc: InvalidInput) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _references(user: User, client: Client, form: MonitorForm) -> dict[str, Any]:
    service = tenancy.service_list(actor=user, client=client).get(pk=form.cleaned_data["service"])
    parent_id = form.cleaned_data.get("parent")
    parent = (
        selectors.monitor_list(actor=user, client=client).filter(pk=parent_id).first() if parent_id else None
    )
    return {"service": service, "parent": parent}


@login_required
def monitor_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = _console(request)
    clients = _manageable_clients(user)
    slug = request.POST.get("client") or request.GET.get("client") or ""
    if not slug:
        if not clients.exists():
            raise Forbidden("You may not add monitors for any client.")
        return render(request, "monitoring/pages/choose_client.html", {"clients": clients})
    client = access.client_access(user, slug)  # another tenant's: 404
    access.require(user, "integrations.manage", client=client)
    data = request.POST if request.method == "POST" else None
    form = _form(user, client, data, initial={"kind": request.GET.get("kind", "http")})
    if data is not None and form.is_valid():
        fields = form.monitor_fields()
        if not form.errors:
            try:
                monitor = services.monitor_create(actor=user, client=client, via="console",
                                                  **_references(user, client, form), **fields)  # fmt: skip
            except InvalidInput as exc:
                _save_errors(form, exc)
            else:
                messages.success(
                    request,
                    f"Created {monitor.name}; its first check runs within {monitor.interval_seconds} s.",
                )
                return redirect("monitoring:detail", monitor_id=monitor.pk)
    status = 400 if data is not None else 200
    return render(
        request,
        "monitoring/pages/form.html",
        {"form": form, "client": client, "monitor": None},
        status=status,
    )


@login_required
def monitor_edit(request: AuthenticatedHttpRequest, monitor_id: int) -> HttpResponse:
    user = request.user
    monitor = selectors.monitor_access(actor=user, pk=monitor_id)  # another tenant's: 404 first
    _console(request)
    access.require(user, "integrations.manage", client=monitor.client)
    data = request.POST if request.method == "POST" else None
    form = _form(user, monitor.client, data, initial=initial_from(monitor), exclude=monitor.pk)
    if data is not None and form.is_valid():
        fields = form.monitor_fields()
        fields.pop("kind")
        if not form.errors:
            try:
                services.monitor_update(actor=user, monitor=monitor, via="console",
                                        **_references(user, monitor.client, form), **fields)  # fmt: skip
            except InvalidInput as exc:
                _save_errors(form, exc)
            else:
                messages.success(request, f"Saved {monitor.name}.")
                return redirect("monitoring:detail", monitor_id=monitor.pk)
    status = 400 if data is not None else 200
    context = {"form": form, "client": monitor.client, "monitor": monitor}
    return render(request, "monitoring/pages/form.html", context, status=status)


def _detail(
    request: AuthenticatedHttpRequest, monitor: Monitor, *, test: Any = None, status: int = 200
) -> HttpResponse:
    user = request.user
    range_name = request.GET.get("range", "24h")
    if range_name not in selectors.RANGES:
        range_name = "24h"
    context = {
        "monitor": monitor, "test": test, "range": range_name, "ranges": list(selectors.RANGES),
        "chart": charts.response_chart(selectors.history(monitor=monitor, range_name=range_name)),
        "uptimes": [(label, selectors.uptime(monitor=monitor, span=span)) for label, span in UPTIMES],
        "results": selectors.recent_results(monitor=monitor),
        "overdue": selectors.is_overdue(monitor),
        "children": monitor.children.order_by("name")[:50],
        "can_manage": access.can(user, "integrations.manage", client=monitor.client),
        "down": monitor.state == MonitorState.DOWN,
    }  # fmt: skip
    return render(request, "monitoring/pages/detail.html", context, status=status)


@login_required
@require_safe
def monitor_page(request: AuthenticatedHttpRequest, monitor_id: int) -> HttpResponse:
    monitor = selectors.monitor_access(actor=request.user, pk=monitor_id)  # another tenant's: 404 first
    _console(request)
    return _detail(request, monitor)


@login_required
@require_POST
def monitor_test(request: AuthenticatedHttpRequest, monitor_id: int) -> HttpResponse:
    user = request.user
    monitor = selectors.monitor_access(actor=user, pk=monitor_id)  # another tenant's: 404 first
    _console(request)
    result = services.monitor_test(actor=user, monitor=monitor)
    shown = {k: (v[:2000] if isinstance(v, str) else v) for k, v in result.values.items()}
    return _detail(request, monitor, test={"result": result, "values": sorted(shown.items())})


@login_required
@require_POST
def monitor_toggle(request: AuthenticatedHttpRequest, monitor_id: int) -> HttpResponse:
    user = request.user
    monitor = selectors.monitor_access(actor=user, pk=monitor_id)  # another tenant's: 404 first
    _console(request)
    services.monitor_update(actor=user, monitor=monitor, is_enabled=not monitor.is_enabled, via="console")
    messages.success(request, f"{monitor.name} is {'running' if monitor.is_enabled else 'paused'}.")
    return redirect("monitoring:detail", monitor_id=monitor.pk)


@login_required
@require_POST
def monitor_delete(request: AuthenticatedHttpRequest, monitor_id: int) -> HttpResponse:
    user = request.user
    monitor = selectors.monitor_access(actor=user, pk=monitor_id)  # another tenant's: 404 first
    _console(request)
    client = monitor.client
    services.monitor_delete(actor=user, monitor=monitor, via="console")
    messages.success(request, f"Removed {monitor.name} and its history.")
    return redirect(f"/monitors/?client={client.slug}")


@login_required
def networks_page(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    user = request.user
    client = access.client_access(user, slug)  # another tenant's: 404 first
    _console(request)
    error = ""
    if request.method == "POST":
        try:
            services.network_policy_set(
                actor=user, client=client, networks=request.POST.get("networks", ""), via="console"
            )
        except InvalidInput as exc:
            error = exc.message
        else:
            messages.success(request, f"Saved the networks {client.name}'s monitors may reach.")
            return redirect("monitoring:networks", slug=client.slug)
    shown = request.POST.get("networks", "") if error else "\n".join(selectors.network_policy(client=client))
    context = {
        "client": client,
        "networks": shown,
        "error": error,
        "can_edit": access.can(user, "clients.create"),
    }
    return render(request, "monitoring/pages/networks.html", context, status=400 if error else 200)
