"""REST adapters for calendars, SLA policies, incident clocks, breaches and SLA reports. Thin."""

from __future__ import annotations

from typing import Any, Literal

from django.db.models import QuerySet
from ninja import Query, Router, Status

from watchkeeper.core.downloads import attachment
from watchkeeper.core.errors import NotFound
from watchkeeper.core.pagination import paginated
from watchkeeper.core.schemas import Id
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
    SlaPolicyIn,
    SlaPolicyOut,
    SlaPolicyUpdateIn,
)
from watchkeeper.tenancy import access
from watchkeeper.tenancy.http import ApiRequest

router = Router(tags=["sla"])
_MONTH = Query("", description="YYYY-MM; or give from and to")
_FROM = Query("", alias="from", description="First day, YYYY-MM-DD")
_TO = Query("", description="Last day, YYYY-MM-DD")


def _calendar(request: ApiRequest, calendar_id: int) -> BusinessCalendar:
    access.require(request.auth, "policy.view")
    calendar = selectors.calendar_list().filter(pk=calendar_id).first()
    if calendar is None:
        raise NotFound(f"No calendar {calendar_id}.")
    return calendar


def _policy(request: ApiRequest, policy_id: int) -> SlaPolicy:
    # Existence first (another client's override is 404 for everyone), then the right to read.
    policy = selectors.policy_list_for(actor=request.auth).filter(pk=policy_id).first()
    if policy is None:
        raise NotFound(f"No SLA policy {policy_id}.")
    access.require(request.auth, "policy.view")
    return policy


@router.get("/calendars", response=list[CalendarOut], tags=["calendars"])
@paginated()
def list_calendars(request: ApiRequest) -> QuerySet[BusinessCalendar]:
    access.require(request.auth, "policy.view")
    return selectors.calendar_list()


@router.post("/calendars", response={201: CalendarOut}, tags=["calendars"])
def create_calendar(request: ApiRequest, body: CalendarIn) -> Status[BusinessCalendar]:
    return Status(201, configuration.calendar_save(actor=request.auth, **body.dict()))


@router.get("/calendars/{calendar_id}", response=CalendarOut, tags=["calendars"])
def get_calendar(request: ApiRequest, calendar_id: Id) -> BusinessCalendar:
    return _calendar(request, calendar_id)


@router.patch("/calendars/{calendar_id}", response=CalendarOut, tags=["calendars"])
def update_calendar(request: ApiRequest, calendar_id: Id, body: CalendarUpdateIn) -> BusinessCalendar:
    calendar = _calendar(request, calendar_id)
    return configuration.calendar_save(actor=request.auth, calendar=calendar, **body.dict(exclude_unset=True))


@router.post("/calendars/{calendar_id}/closures", response=ClosuresAddedOut, tags=["calendars"])
def add_closures(request: ApiRequest, calendar_id: Id, body: ClosuresIn) -> dict[str, int]:
    calendar = _calendar(request, calendar_id)
    days = [(day, body.name) for day in body.days]
    return {"added": configuration.calendar_closures_add(actor=request.auth, calendar=calendar, days=days)}


@router.post("/calendars/{calendar_id}/ical", response=ClosuresAddedOut, tags=["calendars"])
def import_ical(request: ApiRequest, calendar_id: Id, body: IcalIn) -> dict[str, int]:
    calendar = _calendar(request, calendar_id)
    data = body.ical.encode()
    return {"added": configuration.calendar_ical_import(actor=request.auth, calendar=calendar, data=data)}


@router.post("/calendars/{calendar_id}/clients", response={204: None}, tags=["calendars"])
def assign_calendar(request: ApiRequest, calendar_id: Id, body: CalendarAssignIn) -> Status[None]:
    calendar = _calendar(request, calendar_id)
    client = access.client_reference(request.auth, body.client)
    configuration.calendar_assign(actor=request.auth, client=client, calendar=calendar)
    return Status(204, None)


@router.get("/sla-policies", response=list[SlaPolicyOut])
@paginated()
def list_policies(request: ApiRequest) -> QuerySet[SlaPolicy]:
    access.require(request.auth, "policy.view")
    return selectors.policy_list_for(actor=request.auth)


@router.post("/sla-policies", response={201: SlaPolicyOut})
def create_policy(request: ApiRequest, body: SlaPolicyIn) -> Status[SlaPolicy]:
    data: dict[str, Any] = body.dict()
    slug = data.pop("client")
    client = access.client_reference(request.auth, slug) if slug else None
    return Status(201, configuration.policy_save(actor=request.auth, client=client, **data))


@router.get("/sla-policies/{policy_id}", response=SlaPolicyOut)
def get_policy(request: ApiRequest, policy_id: Id) -> SlaPolicy:
    return _policy(request, policy_id)


@router.patch("/sla-policies/{policy_id}", response=SlaPolicyOut)
def update_policy(request: ApiRequest, policy_id: Id, body: SlaPolicyUpdateIn) -> SlaPolicy:
    policy = _policy(request, policy_id)
    return configuration.policy_save(actor=request.auth, policy=policy, **body.dict(exclude_unset=True))


@router.get("/incidents/{incident_id}/sla", response=list[ClockOut], tags=["incidents"])
def incident_clocks(request: ApiRequest, incident_id: Id) -> list[SlaClock]:
    incident = incident_access(actor=request.auth, pk=incident_id)
    return selectors.clocks_for_incidents([incident.pk]).get(incident.pk, [])


@router.get("/sla-breaches", response=list[BreachOut])
@paginated()
def list_breaches(request: ApiRequest, client: str | None = None) -> QuerySet[SlaBreach]:
    target = access.client_access(request.auth, client) if client else None
    return selectors.breaches_for(actor=request.auth, client=target)


@router.patch("/sla-breaches/{breach_id}", response=BreachOut)
def explain_breach(request: ApiRequest, breach_id: Id, body: BreachReasonIn) -> SlaBreach:
    breach = access.object_access(request.auth, selectors.breaches_for(actor=request.auth), pk=breach_id)
    access.require(request.auth, "incidents.respond", client=breach.client)
    return services.sla_breach_explain(breach=breach, by=request.auth, reason=body.reason, via="api")


@router.get("/reports/sla", tags=["reports"])
def sla_report(
    request: ApiRequest,
    client: str,
    month: str = _MONTH,
    start: str = _FROM,
    to: str = _TO,
    format: Literal["json", "csv", "pdf"] = "json",
) -> Any:
    """One client's SLA report for a month or a range: JSON, `format=csv` or `format=pdf`."""
    target = access.client_access(request.auth, client)
    first, end = reports.period_parse(month=month, start=start, end=to)
    report = reports.report_build(client=target, start=first, end=end)
    if format == "csv":
        return attachment(report_csv(report).encode(), "text/csv", f"sla-{target.slug}-{first:%Y-%m}.csv")
    if format == "pdf":
        return attachment(report_pdf(report), "application/pdf", f"sla-{target.slug}-{first:%Y-%m}.pdf")
    return reports.report_json(report)
