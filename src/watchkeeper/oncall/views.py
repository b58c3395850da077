"""Console pages for on-call: schedules, the schedule page (calendar, gaps, layers, overrides,
iCal), layer and override forms, the on-call board, and the token-authenticated iCal feeds.

Thin adapters: selectors read (scoped by the access module), services write.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from watchkeeper.accounts.models import User
from watchkeeper.core import clock
from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.core.pagination import paginate
from watchkeeper.oncall import calendar, selectors, services
from watchkeeper.oncall.forms import LayerForm, OverrideForm, ScheduleForm, windows_text
from watchkeeper.oncall.models import Layer, Schedule
from watchkeeper.tenancy import access
from watchkeeper.tenancy.http import AuthenticatedHttpRequest

FEED_PAST, FEED_FUTURE = dt.timedelta(days=7), dt.timedelta(days=90)


def _schedule_viewer(request: AuthenticatedHttpRequest) -> User:
    """The signed-in MSP user who may see schedules (portal users may not: 403)."""
    user = request.user
    access.require(user, "schedules.view")
    return user


def _schedule(request: AuthenticatedHttpRequest, schedule_id: int) -> Schedule:
    # Looked up first: another tenant's schedule is a 404 before any 403.
    return selectors.schedule_access(actor=request.user, pk=schedule_id)


@login_required
@require_safe
def schedule_list_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = _schedule_viewer(request)
    page = paginate(selectors.schedule_list(actor=user).order_by("name", "id"), page=request.GET.get("page"))
    ids = [schedule.pk for schedule in page.items]
    ruled = selectors.with_rules(Schedule.objects.filter(pk__in=ids)).order_by("name", "id")
    statuses = selectors.oncall_status(schedules=list(ruled), at=clock.now())
    context = {
        "page": page, "statuses": statuses, "can_manage": access.can(user, "schedules.manage"),
        "mine": selectors.oncall_now_for_user(user=user, at=clock.now()),
    }  # fmt: skip
    return render(request, "oncall/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def schedule_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = _schedule_viewer(request)
    access.require(user, "schedules.manage")
    form = ScheduleForm(request.POST or None)
    clients = access.visible_clients(user).filter(is_active=True).order_by("name")
    may_share = access.can_write(user, "schedules.manage", client=None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            client = access.client_reference(user, data["client"]) if data["client"] else None
            schedule = services.schedule_create(
                actor=user, name=data["name"], description=data["description"],
                time_zone=data["time_zone"], client=client,
            )  # fmt: skip
        except WatchkeeperError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, f"Created {schedule.name}. Add a layer to put people on call.")
            return redirect("oncall:detail", schedule.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "clients": clients, "may_share": may_share}
    return render(request, "oncall/new.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def schedule_edit(request: AuthenticatedHttpRequest, schedule_id: int) -> HttpResponse:
    """Name, description and time zone; the client a schedule is for does not change."""
    schedule = _schedule(request, schedule_id)
    user = _schedule_viewer(request)
    access.require_write(user, "schedules.manage", client=schedule.client)
    initial = {"name": schedule.name, "description": schedule.description, "time_zone": schedule.time_zone}
    form = ScheduleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {key: form.cleaned_data[key] for key in ("name", "description", "time_zone")}
        try:
            services.schedule_update(actor=user, schedule=schedule, **data)
        except WatchkeeperError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, f"Saved {data['name']}.")
            return redirect("oncall:detail", schedule.pk)
    context = {"form": form, "schedule": schedule}
    return render(request, "oncall/new.html", context, status=400 if request.method == "POST" else 200)


def _weeks(request: AuthenticatedHttpRequest) -> int:
    value = request.GET.get("weeks", "2")
    return min(6, max(1, int(value))) if value.isdigit() else 2


def _page_context(
    request: AuthenticatedHttpRequest, schedule: Schedule, override_form: OverrideForm | None = None
) -> dict[str, Any]:
    user = request.user
    zone, now = clock.zone_or_utc(schedule.time_zone), clock.now()
    weeks = _weeks(request)
    first = now.astimezone(zone).date()
    start = dt.datetime.combine(first, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(first + dt.timedelta(days=7 * weeks), dt.time(), tzinfo=zone)
    shifts = selectors.schedule_shifts(schedule=schedule, start=start, end=end)
    (status,) = selectors.oncall_status(schedules=[schedule], at=now)
    gaps = calendar.gap_warnings(selectors.schedule_gaps(schedule=schedule, start=now, end=end), zone)
    layers = [(layer, windows_text(layer.restriction, layer.restrictions)) for layer in schedule.layers.all()]
    return {
        "schedule": schedule, "zone": zone, "weeks": weeks, "status": status, "gaps": gaps,
        "days": calendar.days(shifts, start=first, count=7 * weeks, zone=zone), "layers": layers,
        "overrides": [o for o in schedule.overrides.all() if o.ends_at > now],
        "override_form": override_form or OverrideForm(zone=zone),
        "can_manage": services.schedule_can_change(user, schedule),
        "can_override": services.schedule_can_change(user, schedule, action="schedules.override"),
        "can_calendar": services.schedule_can_change(user, schedule, action="schedules.view"),
        # Someone who manages schedules, but not this one: it is shared by clients they do not see.
        "shared_read_only": schedule.client_id is None
        and access.can(user, "schedules.override")
        and not access.sees_every_client(user),
        "has_token": hasattr(schedule, "calendar_token"),
    }  # fmt: skip


@login_required
@require_safe
def schedule_page(request: AuthenticatedHttpRequest, schedule_id: int) -> HttpResponse:
    schedule = _schedule(request, schedule_id)
    _schedule_viewer(request)
    return render(request, "oncall/detail.html", _page_context(request, schedule))


def _layer_initial(layer: Layer) -> dict[str, Any]:
    return {
        "name": layer.name, "priority": layer.priority, "time_zone": layer.time_zone,
        "starts_on": layer.starts_on, "handoff_time": layer.handoff_time, "shift_length": layer.shift_length,
        "shift_unit": layer.shift_unit, "restriction": layer.restriction,
        "windows": windows_text(layer.restriction, layer.restrictions),
        "members": "\n".join(member.user.email for member in layer.members.all()),
    }  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def layer_form(
    request: AuthenticatedHttpRequest, schedule_id: int, layer_id: int | None = None
) -> HttpResponse:
    schedule = _schedule(request, schedule_id)
    user = _schedule_viewer(request)
    access.require_write(user, "schedules.manage", client=schedule.client)
    layer = None
    if layer_id is not None:
        layer = next((x for x in schedule.layers.all() if x.pk == layer_id), None)
        if layer is None:
            raise Http404("No such layer on this schedule.")
    initial = (
        _layer_initial(layer)
        if layer
        else {"starts_on": clock.now().astimezone(clock.zone_or_utc(schedule.time_zone)).date()}
    )
    form = LayerForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        members = data.pop("members")
        data.pop("windows", None)
        try:
            services.layer_save(actor=user, schedule=schedule, layer=layer, members=members, **data)
        except WatchkeeperError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, f"Saved the layer {data['name']}.")
            return redirect("oncall:detail", schedule.pk)
    context = {"schedule": schedule, "layer": layer, "form": form, "staff": _staff()}
    return render(request, "oncall/layer.html", context, status=400 if request.method == "POST" else 200)


def _staff() -> list[User]:
    return list(access.staff_for_client(None).order_by("full_name"))


@login_required
@require_POST
def layer_delete(request: AuthenticatedHttpRequest, schedule_id: int, layer_id: int) -> HttpResponse:
    schedule = _schedule(request, schedule_id)
    layer = next((x for x in schedule.layers.all() if x.pk == layer_id), None)
    if layer is None:
        raise Http404("No such layer on this schedule.")
    services.layer_delete(actor=_schedule_viewer(request), layer=layer)
    messages.success(request, f"Removed the layer {layer.name}.")
    return redirect("oncall:detail", schedule.pk)


@login_required
@require_POST
def override_new(request: AuthenticatedHttpRequest, schedule_id: int) -> HttpResponse:
    schedule = _schedule(request, schedule_id)
    user = _schedule_viewer(request)
    access.require_write(user, "schedules.override", client=schedule.client)
    form = OverrideForm(request.POST, zone=clock.zone_or_utc(schedule.time_zone))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.override_create(
                actor=user, schedule=schedule, user=data["user"], replaces=data["replaces"],
                starts_at=data["starts_at"], ends_at=data["ends_at"], note=data["note"],
            )  # fmt: skip
        except WatchkeeperError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            who = data["replaces"].full_name if data["replaces"] else "whoever is on call"
            messages.success(request, f"{data['user'].full_name} covers {who}.")
            return redirect("oncall:detail", schedule.pk)
    schedule = _schedule(request, schedule_id)
    return render(request, "oncall/detail.html", _page_context(request, schedule, form), status=400)


@login_required
@require_POST
def override_delete(request: AuthenticatedHttpRequest, schedule_id: int, override_id: int) -> HttpResponse:
    schedule = _schedule(request, schedule_id)
    override = next((o for o in schedule.overrides.all() if o.pk == override_id), None)
    if override is None:
        raise Http404("No such override on this schedule.")
    services.override_delete(actor=_schedule_viewer(request), override=override)
    messages.success(request, "Removed the override.")
    return redirect("oncall:detail", schedule.pk)


def _feed_url(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("oncall:feed", args=[token]))


@login_required
@require_POST
def calendar_rotate(request: AuthenticatedHttpRequest, schedule_id: int) -> HttpResponse:
    schedule = _schedule(request, schedule_id)
    token = services.calendar_token_rotate(actor=_schedule_viewer(request), schedule=schedule)
    messages.success(
        request, f"New calendar URL (copy it now; it is shown once): {_feed_url(request, token)}"
    )
    return redirect("oncall:detail", schedule.pk)


@login_required
@require_POST
def my_calendar_rotate(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = _schedule_viewer(request)
    token = services.calendar_token_rotate(actor=user, user=user)
    messages.success(
        request, f"Your calendar URL (copy it now; it is shown once): {_feed_url(request, token)}"
    )
    return redirect("oncall:list")


@require_safe
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The iCal feed: the secret in the URL is the authentication (calendar apps have no
    session). Unknown or rotated tokens are 404."""
    found = services.calendar_token_find(token=token)
    if found is None or (found.user is not None and not found.user.is_active):
        raise Http404("No calendar at this address.")
    now = clock.now()
    lo, hi = now - FEED_PAST, now + FEED_FUTURE
    if found.schedule is not None:
        schedule = selectors.with_rules(Schedule.objects.filter(pk=found.schedule.pk)).get()
        shifts, name = selectors.schedule_shifts(schedule=schedule, start=lo, end=hi), schedule.name
    else:
        assert found.user is not None  # noqa: S101 - the token's check constraint
        shifts, name = (
            selectors.user_shifts(user=found.user, start=lo, end=hi),
            f"On call: {found.user.full_name}",
        )
    body = calendar.ical(shifts, name=name, stamp=now)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
@require_safe
def board(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = _schedule_viewer(request)
    rows = selectors.oncall_board(actor=user, at=clock.now())
    shared = [
        s for s in selectors.oncall_overview(actor=user, at=clock.now()) if s.schedule.client_id is None
    ]
    return render(request, "oncall/board.html", {"rows": rows, "shared": shared})
