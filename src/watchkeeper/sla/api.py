"""REST adapters for calendars, SLA policies, incident clocks, breaches and SLA reports. Thin."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from ninja.pagination import LimitOffsetPagination, paginate

from watchkeeper.core.errors import NotFound
from watchkeeper.incidents.selectors import incident_access
from watchkeeper.sla import configuration, reports, selectors, services
from watchkeeper.sla.models import BusinessCalendar, SlaBreach, SlaClock, SlaPolicy
from watchkeeper.sla.render import report_csv, report_pdf
from watchkeeper.sla.schemas import (
    BreachOut,
    BreachReasonIn,
    CalendarAssignIn,
    CalendarIn,
    CalendarOut,
    CalendarUpdateIn,
    ClockOut,
    ClosuresAddedOut,
    ClosuresIn,
    IcalIn,
    PolicyIn,
    PolicyOut,
    PolicyUpdateIn,
)
from watchkeeper.tenancy import access

router = Router(tags=["sla"])
_MONTH = Query("", description="YYYY-MM; or give from and to")
_FROM = Query("", alias="from", description="First day, YYYY-MM-DD")
_TO = Query("", description="Last day, YYYY-MM-DD")


def _actor(request: HttpRequest) -> access.Actor:
    return request.auth  # type: ignore[attr-defined]


def _calendar(request: HttpRequest, calendar_id: int) -> BusinessCalendar:
    access.require(_actor(request), "policy.view")
    calendar = selectors.calendar_list().filter(pk=calendar_id).first()
    if calendar is None:
        raise NotFound(f"No calendar {calendar_id}.")
    return calendar


def _policy(request: HttpRequest, policy_id: int) -> SlaPolicy:
    # Existence first (another client's override is 404 for everyone), then the right to read.
    policy = selectors.policy_list_for(actor=_actor(request)).filter(pk=policy_id).first()
    if policy is None:
        raise NotFound(f"No SLA policy {policy_id}.")
    access.require(_actor(request), "policy.view")
    return policy


@router.get("/calendars", response=list[CalendarOut], tags=["calendars"])
@paginate(LimitOffsetPagination)
def list_calendars(request: HttpRequest) -> QuerySet[BusinessCalendar]:
    access.require(_actor(request), "policy.view")
    return selectors.calendar_list()


@router.post("/calendars", response={201: CalendarOut}, tags=["calendars"])
def create_calendar(request: HttpRequest, body: CalendarIn) -> Status[BusinessCalendar]:
    return Status(201, configuration.calendar_save(actor=_actor(request), **body.dict()))


@router.get("/calendars/{calendar_id}", response=CalendarOut, tags=["calendars"])
def get_calendar(request: HttpRequest, calendar_id: int) -> BusinessCalendar:
    return _calendar(request, calendar_id)


@router.patch("/calendars/{calendar_id}", response=CalendarOut, tags=["calendars"])
def update_calendar(request: HttpRequest, calendar_id: int, body: CalendarUpdateIn) -> BusinessCalendar:
    calendar = _calendar(request, calendar_id)
    return configuration.calendar_save(
        actor=_actor(request), calendar=calendar, **body.dict(exclude_unset=True)
    )


@router.post("/calendars/{calendar_id}/closures", response=ClosuresAddedOut, tags=["calendars"])
def add_closures(request: HttpRequest, calendar_id: int, body: ClosuresIn) -> dict[str, int]:
    calendar = _calendar(request, calendar_id)
    days = [(day, body.name) for day in body.days]
    return {"added": configuration.calendar_closures_add(actor=_actor(request), calendar=calendar, days=days)}


@router.post("/calendars/{calendar_id}/ical", response=ClosuresAddedOut, tags=["calendars"])
def import_ical(request: HttpRequest, calendar_id: int, body: IcalIn) -> dict[str, int]:
    calendar = _calendar(request, calendar_id)
    data = body.ical.encode()
    return {"added": configuration.calendar_ical_import(actor=_actor(request), calendar=calendar, data=data)}


@router.post("/calendars/{calendar_id}/clients", response={204: None}, tags=["calendars"])
def assign_calendar(request: HttpRequest, calendar_id: int, body: CalendarAssignIn) -> Status[None]:
    calendar = _calendar(request, calendar_id)
    client = access.client_reference(_actor(request), body.client)
    configuration.calendar_assign(actor=_actor(request), client=client, calendar=calendar)
    return Status(204, None)


@router.get("/sla-policies", response=list[PolicyOut])
@paginate(LimitOffsetPagination)
def list_policies(request: HttpRequest) -> QuerySet[SlaPolicy]:
    access.require(_actor(request), "policy.view")
    return selectors.policy_list_for(actor=_actor(request))


@router.post("/sla-policies", response={201: PolicyOut})
def create_policy(request: HttpRequest, body: PolicyIn) -> Status[SlaPolicy]:
    data: dict[str, Any] = body.dict()
    slug = data.pop("client")
    client = access.client_reference(_actor(request), slug) if slug else None
    return Status(201, configuration.policy_save(actor=_actor(request), client=client, **data))


@router.get("/sla-policies/{policy_id}", response=PolicyOut)
def get_policy(request: HttpRequest, policy_id: int) -> SlaPolicy:
    return _policy(request, policy_id)


@router.patch("/sla-policies/{policy_id}", response=PolicyOut)
def update_policy(request: HttpRequest, policy_id: int, body: PolicyUpdateIn) -> SlaPolicy:
    policy = _policy(request, policy_id)
    return configuration.policy_save(actor=_actor(request), policy=policy, **body.dict(exclude_unset=True))


@router.get("/incidents/{incident_id}/sla", response=list[ClockOut], tags=["incidents"])
def incident_clocks(request: HttpRequest, incident_id: int) -> list[SlaClock]:
    incident = incident_access(actor=_actor(request), pk=incident_id)
    return selectors.clocks_for_incidents([incident.pk]).get(incident.pk, [])


@router.get("/sla-breaches", response=list[BreachOut])
@paginate(LimitOffsetPagination)
def list_breaches(request: HttpRequest, client: str | None = None) -> QuerySet[SlaBreach]:
    target = access.client_access(_actor(request), client) if client else None
    return selectors.breaches_for(actor=_actor(request), client=target)


@router.patch("/sla-breaches/{breach_id}", response=BreachOut)
def explain_breach(request: HttpRequest, breach_id: int, body: BreachReasonIn) -> SlaBreach:
    breach = access.object_access(
        _actor(request), selectors.breaches_for(actor=_actor(request)), pk=breach_id
    )
    access.require(_actor(request), "incidents.respond", client=breach.client)
    return services.sla_breach_explain(breach=breach, by=_actor(request), reason=body.reason, via="api")


@router.get("/reports/sla", tags=["reports"])
def sla_report(
    request: HttpRequest,
    client: str,
    month: str = _MONTH,
    start: str = _FROM,
    to: str = _TO,
    format: str = "json",
) -> Any:
    """One client's SLA report for a month or a range: JSON, `format=csv` or `format=pdf`."""
    target = access.client_access(_actor(request), client)
    first, end = reports.period_parse(month=month, start=start, end=to)
    report = reports.report_build(client=target, start=first, end=end)
    if format == "csv":
        return _download(report_csv(report).encode(), "text/csv", f"sla-{target.slug}-{first:%Y-%m}.csv")
    if format == "pdf":
        return _download(report_pdf(report), "application/pdf", f"sla-{target.slug}-{first:%Y-%m}.pdf")
    return reports.report_json(report)


def _download(body: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
