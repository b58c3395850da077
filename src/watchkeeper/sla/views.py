"""Console pages for SLA: policies and calendars (read; edit forms for admins) and the client
report as HTML, CSV and PDF. Thin: selectors and services decide."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST, require_safe

from watchkeeper.accounts.models import User
from watchkeeper.core import clock
from watchkeeper.core.errors import InvalidInput, NotFound, WatchkeeperError
from watchkeeper.core.pagination import paginate
from watchkeeper.policy.selectors import policy_get
from watchkeeper.sla import configuration, reports, selectors, services
from watchkeeper.sla.forms import CalendarForm, ClosuresForm, TargetsForm, hours_to_text
from watchkeeper.sla.models import BusinessCalendar, SlaPolicy
from watchkeeper.sla.render import report_csv, report_pdf, trend_legend, trend_svg
from watchkeeper.tenancy import access
from watchkeeper.tenancy.http import AuthenticatedHttpRequest


def _problems(form: django_forms.Form) -> str:
    return "; ".join(f"{name}: {' '.join(map(str, errors))}" for name, errors in form.errors.items())


def _page(request: AuthenticatedHttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    user = request.user
    access.require(user, "policy.view")
    priorities = [p.key for p in policy_get().priorities]
    policies = list(selectors.policy_list_for(actor=user))
    rows = [(policy, {t.priority: t for t in policy.targets.all()}) for policy in policies]
    calendars = [(c, hours_to_text(c.hours)) for c in selectors.calendar_list()]
    context = {
        "policies": rows,
        "priorities": priorities,
        "calendars": calendars,
        "error": error,
        "can_edit": access.can(user, "policy.edit"),
        "tiers": SlaPolicy._meta.get_field("tier").choices,
    }
    return render(request, "sla/pages/page.html", context, status=status)


@login_required
@require_safe
def sla_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _page(request)


def _done(request: AuthenticatedHttpRequest, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect("sla:page")


@login_required
@require_POST
def policy_targets(request: AuthenticatedHttpRequest, policy_id: int) -> HttpResponse:
    user = request.user
    policy = selectors.policy_list_for(actor=user).filter(pk=policy_id).first()
    if policy is None:
        raise NotFound(f"No SLA policy {policy_id}.")
    access.require(user, "policy.edit")
    form = TargetsForm(request.POST, priorities=[p.key for p in policy_get().priorities])
    if not form.is_valid():
        return _page(request, error=f"Check the form: {_problems(form)}", status=400)
    try:
        configuration.policy_save(
            actor=user,
            policy=policy,
            targets=form.targets(),
            via="console",
            warning_thresholds=form.cleaned_data["thresholds"],
            response_by_reply=form.cleaned_data["response_by_reply"],
        )
    except WatchkeeperError as exc:
        return _page(request, error=exc.message, status=exc.status)
    return _done(request, f"Saved the targets of {policy.name}.")


@login_required
@require_POST
def policy_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    access.require(user, "policy.edit")
    try:
        configuration.policy_save(
            actor=user,
            tier=request.POST.get("tier", ""),
            via="console",
            name=request.POST.get("name", "").strip(),
        )
    except WatchkeeperError as exc:
        return _page(request, error=exc.message, status=exc.status)
    return _done(request, "Created the policy; now set its targets.")


def _calendar(user: User, calendar_id: int | None) -> BusinessCalendar | None:
    access.require(user, "policy.edit")
    if calendar_id is None:
        return None
    calendar = BusinessCalendar.objects.filter(pk=calendar_id).first()
    if calendar is None:
        raise NotFound(f"No calendar {calendar_id}.")
    return calendar


@login_required
@require_POST
def calendar_save(request: AuthenticatedHttpRequest, calendar_id: int | None = None) -> HttpResponse:
    user = request.user
    calendar = _calendar(user, calendar_id)
    form = CalendarForm(request.POST)
    if not form.is_valid():
        return _page(request, error=f"Check the calendar: {_problems(form)}", status=400)
    try:
        saved = configuration.calendar_save(actor=user, calendar=calendar, via="console", **form.cleaned_data)
    except WatchkeeperError as exc:
        return _page(request, error=exc.message, status=exc.status)
    return _done(request, f"Saved the calendar {saved.name}.")


@login_required
@require_POST
def calendar_closures(request: AuthenticatedHttpRequest, calendar_id: int) -> HttpResponse:
    user = request.user
    calendar = _calendar(user, calendar_id)
    assert calendar is not None  # noqa: S101 — _calendar returns one for an id or raises
    form = ClosuresForm(request.POST, request.FILES)
    try:
        if not form.is_valid():
            raise InvalidInput(_problems(form))
        added = 0
        upload = form.cleaned_data.get("ical")
        if upload is not None:
            added += configuration.calendar_ical_import(
                actor=user, calendar=calendar, data=upload.read(), via="console"
            )
        text = form.cleaned_data.get("days", "").replace(",", " ").split()
        days = [(_date(day), form.cleaned_data.get("name", "")) for day in text]
        if days:
            added += configuration.calendar_closures_add(
                actor=user, calendar=calendar, days=days, via="console"
            )
    except WatchkeeperError as exc:
        return _page(request, error=exc.message, status=exc.status)
    return _done(request, f"Added {added} closure day{'s' if added != 1 else ''} to {calendar.name}.")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"'{text}' is not a date (YYYY-MM-DD).", field="days") from None


REPORT_INDEX_PAGE = 25


@login_required
@require_safe
def reports_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The Reports page: every SLA report the viewer may read, per client and month, with its
    compliance, its PDF and CSV, and whether it was e-mailed. One client: its last twelve
    months; every client: one month (by default the last complete one, the month e-mailed)."""
    user = request.user
    today = clock.now().astimezone(user.zone).date()
    months = reports.month_list(today=today)
    month = request.GET.get("month", "") or months[1]
    context: dict[str, Any] = {"months": months, "month": month, "today_month": months[0]}
    slug = request.GET.get("client", "")
    client = access.client_access(user, slug) if slug else None  # another tenant's: 404
    context["client"] = client
    context["clients"] = list(access.visible_clients(user).order_by("name").only("pk", "name", "slug"))
    if month not in months:
        context["error"] = "Choose one of the last twelve months (YYYY-MM)."
        return render(request, "sla/pages/reports.html", context, status=400)
    if client is not None:
        entries = reports.report_index(clients=[client], months=months)
        context.update(entries=entries, page=None)
    else:
        page = paginate(access.visible_clients(user).order_by("name", "pk"), page=request.GET.get("page"),
                        size=REPORT_INDEX_PAGE)  # fmt: skip
        context.update(entries=reports.report_index(clients=page.items, months=[month]), page=page)
    return render(request, "sla/pages/reports.html", context)


def _report(request: AuthenticatedHttpRequest, slug: str) -> reports.SlaReport:
    client = access.client_access(request.user, slug)  # another tenant's: 404
    month = request.GET.get("month", "") or (
        None if request.GET.get("from") else clock.now().strftime("%Y-%m")
    )
    first, end = reports.period_parse(
        month=month or "", start=request.GET.get("from", ""), end=request.GET.get("to", "")
    )
    return reports.report_build(client=client, start=first, end=end)


@login_required
@require_safe
def report_page(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    try:
        report = _report(request, slug)
    except InvalidInput as exc:
        client = access.client_access(request.user, slug)
        return render(request, "sla/pages/report.html", {"client": client, "error": exc.message}, status=400)
    rows = [
        (
            kind,
            reports.LABELS[kind],
            [report.cells.get((kind, p)) for p in report.priorities],
            report.totals[kind],
        )
        for kind in reports.KINDS
        if kind in report.totals
    ]
    context: dict[str, Any] = {
        "report": report,
        "client": report.client,
        "rows": rows,
        "trend": mark_safe(trend_svg(report)),  # noqa: S308 — built with escape()
        "legend": trend_legend(),
        "breaches": [
            (breach, link)
            for breach, link in zip(report.breaches, _incident_links(request.user, report), strict=True)
        ],
        "query": request.GET.urlencode(),
        "can_explain": access.can(request.user, "incidents.respond", client=report.client),
    }
    return render(request, "sla/pages/report.html", context)


def _incident_links(user: User, report: reports.SlaReport) -> list[str]:
    """Where each breach's incident opens for this viewer: the console for staff who may see
    the client's incidents, the portal for the client's own people, else nowhere."""
    if access.can(user, "incidents.view", client=report.client):
        return [reverse("incidents:detail", kwargs={"incident_id": b.incident_id}) for b in report.breaches]
    if access.can(user, "portal.incidents", client=report.client):
        return [reverse("portal:incident", kwargs={"incident_id": b.incident_id}) for b in report.breaches]
    return ["" for _ in report.breaches]


@login_required
@require_safe
def report_csv_download(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    report = _report(request, slug)
    response = HttpResponse(report_csv(report), content_type="text/csv")
    response["Content-Disposition"] = (
        f'attachment; filename="sla-{report.client.slug}-{report.start:%Y-%m}.csv"'
    )
    return response


@login_required
@require_safe
def report_pdf_download(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    report = _report(request, slug)
    response = HttpResponse(report_pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="sla-{report.client.slug}-{report.start:%Y-%m}.pdf"'
    )
    return response


@login_required
@require_POST
def breach_reason(request: AuthenticatedHttpRequest, breach_id: int) -> HttpResponse:
    user = request.user
    breach = access.object_access(user, selectors.breaches_for(actor=user), pk=breach_id)
    access.require(user, "incidents.respond", client=breach.client)
    try:
        services.sla_breach_explain(breach=breach, by=user, reason=request.POST.get("reason", ""))
    except WatchkeeperError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Recorded why {breach.incident.reference} breached.")
    return redirect("incidents:detail", incident_id=breach.incident_id)
