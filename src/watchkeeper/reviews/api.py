"""REST adapters for reviews, action items and the improvement reports. Thin."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.db.models import QuerySet
from django.http import HttpResponse
from ninja import Field, Query, Router, Status

from watchkeeper.core import clock
from watchkeeper.core.downloads import attachment
from watchkeeper.core.pagination import paginated
from watchkeeper.core.schemas import Id
from watchkeeper.incidents.selectors import incident_access
from watchkeeper.reviews import actions, exports, metrics, selectors, services
from watchkeeper.reviews.facts import Facts, answers, review_facts
from watchkeeper.reviews.models import ActionItem, Review
from watchkeeper.reviews.schemas import (
    ActionItemIn,
    ActionItemOut,
    ActionItemUpdateIn,
    LoadOut,
    MarkIn,
    MetricsOut,
    NoiseOut,
    ReviewDetailOut,
    ReviewOpenIn,
    ReviewOut,
    ReviewUpdateIn,
    SummaryIn,
)
from watchkeeper.tenancy import access
from watchkeeper.tenancy.http import ApiRequest

router = Router(tags=["reviews"])
_FROM = Query("", alias="from", description="First day, YYYY-MM-DD (default: 90 days ago)")
_TO = Query("", description="Last day, YYYY-MM-DD (default: today)")


def _review(request: ApiRequest, review_id: int) -> Review:
    return selectors.review_access(actor=request.auth, pk=review_id)


def _secs(delta: Any) -> int | None:
    return int(delta.total_seconds()) if delta is not None else None


def _facts(facts: Facts) -> dict[str, Any]:
    return {
        "first_signal_at": facts.first_signal_at,
        "time_to_detect_s": _secs(facts.time_to_detect),
        "time_to_acknowledge_s": _secs(facts.time_to_acknowledge),
        "time_to_mitigate_s": _secs(facts.time_to_mitigate),
        "time_to_resolve_s": _secs(facts.time_to_resolve),
        "pages_sent": facts.pages_sent,
        "pages": facts.pages,
        "escalation_levels": facts.escalation_levels,
        "update_target_s": _secs(facts.update_target),
        "client_updates": facts.updates,
        "update_gaps": [
            {"start": g.start, "end": g.end, "seconds": _secs(g.length), "over": g.over, "label": g.label}
            for g in facts.update_gaps
        ],
        "sla_outcome": facts.sla_outcome,
        "alerts": facts.alerts,
        "answers": answers(facts),
        "timeline": [
            {"id": r.entry.pk, "at": r.entry.at, "kind": r.entry.kind, "text": r.entry.text_in(None),
             "client_visible": r.entry.client_visible, "starred": r.starred, "annotation": r.annotation}
            for r in facts.timeline
        ],
    }  # fmt: skip


def _detail(review: Review) -> Review:
    review.facts = _facts(review_facts(review))  # type: ignore[attr-defined]
    return review


@router.get("/reviews", response=list[ReviewOut])
@paginated()
def list_reviews(
    request: ApiRequest,
    show: Literal["open", "overdue", "completed", "all"] = "open",
    client: str = "",
    owner: Id | None = None,
) -> QuerySet[Review]:
    """Reviews of the clients you work on, soonest due first."""
    return selectors.review_list(actor=request.auth, show=show, client_slug=client, owner_id=owner)


@router.post("/reviews", response={201: ReviewOut})
def open_review(request: ApiRequest, body: ReviewOpenIn) -> Status[Review]:
    """Open a review by hand for a resolved incident (the one it has, if it has one)."""
    incident = incident_access(actor=request.auth, pk=body.incident_id)
    return Status(201, services.review_open(incident=incident, by=request.auth))


@router.get("/reviews/{review_id}", response=ReviewDetailOut)
def get_review(request: ApiRequest, review_id: Id) -> Review:
    """The review with its facts computed from the incident."""
    return _detail(_review(request, review_id))


@router.patch("/reviews/{review_id}", response=ReviewOut)
def update_review(request: ApiRequest, review_id: Id, body: ReviewUpdateIn) -> Review:
    changes = body.dict(exclude_unset=True)
    return services.review_update(
        review=_review(request, review_id), by=request.auth, changes=changes, via="api"
    )


@router.post("/reviews/{review_id}/complete", response=ReviewOut)
def complete_review(request: ApiRequest, review_id: Id) -> Review:
    return services.review_complete(review=_review(request, review_id), by=request.auth, via="api")


@router.post("/reviews/{review_id}/marks", response={200: dict[str, Any]})
def mark_entry(request: ApiRequest, review_id: Id, body: MarkIn) -> dict[str, Any]:
    """Star or annotate a timeline entry of the review's incident."""
    mark = services.entry_mark(
        review=_review(request, review_id), by=request.auth, entry_id=body.entry_id,
        starred=body.starred, annotation=body.annotation,
    )  # fmt: skip
    return {"entry_id": mark.entry_id, "starred": mark.starred, "annotation": mark.annotation}


@router.put("/reviews/{review_id}/client-summary", response=ReviewOut)
def save_summary(request: ApiRequest, review_id: Id, body: SummaryIn) -> Review:
    return services.summary_save(
        review=_review(request, review_id), by=request.auth, text=body.text, via="api"
    )


@router.post("/reviews/{review_id}/client-summary/publish", response=ReviewOut)
def publish_summary(request: ApiRequest, review_id: Id) -> Review:
    """Approve and publish: the client's portal shows it and its contacts get it by e-mail."""
    return services.summary_publish(review=_review(request, review_id), by=request.auth, via="api")


@router.get("/reviews/{review_id}/export")
def export_review(
    request: ApiRequest, review_id: Id, format: Literal["markdown", "pdf"] = "markdown"
) -> HttpResponse:
    review = _review(request, review_id)
    facts, items = review_facts(review), selectors.action_items_of(review)
    name = f"review-{review.incident.reference.lower()}"
    if format == "pdf":
        return attachment(exports.review_pdf(review, facts, items), "application/pdf", f"{name}.pdf")
    return attachment(
        exports.review_markdown(review, facts, items).encode(), "text/markdown; charset=utf-8", f"{name}.md"
    )


@router.get("/action-items", response=list[ActionItemOut], tags=["action items"])
@paginated()
def list_action_items(
    request: ApiRequest,
    show: Literal["open", "overdue", "done", "all"] = "open",
    client: str = "",
    owner: Id | None = None,
) -> QuerySet[ActionItem]:
    """Action items across the clients you work on, soonest due first."""
    return selectors.action_item_list(actor=request.auth, show=show, client_slug=client, owner_id=owner)


@router.post("/action-items", response={201: ActionItemOut}, tags=["action items"])
def add_action_item(request: ApiRequest, body: ActionItemIn) -> Status[ActionItem]:
    data = body.dict()
    review = _review(request, data.pop("review_id"))
    return Status(201, actions.action_item_add(review=review, by=request.auth, via="api", **data))


@router.get("/action-items/{item_id}", response=ActionItemOut, tags=["action items"])
def get_action_item(request: ApiRequest, item_id: Id) -> ActionItem:
    return selectors.action_item_access(actor=request.auth, pk=item_id)


@router.patch("/action-items/{item_id}", response=ActionItemOut, tags=["action items"])
def update_action_item(request: ApiRequest, item_id: Id, body: ActionItemUpdateIn) -> ActionItem:
    item = selectors.action_item_access(actor=request.auth, pk=item_id)
    return actions.action_item_update(item=item, by=request.auth, via="api", **body.dict(exclude_unset=True))


def _reports_access(request: ApiRequest, client: str) -> None:
    """Another tenant's client is a 404 for everyone; then the reports need the console."""
    if client:
        access.client_access(request.auth, client)
    access.require(request.auth, "console.use")


def _period(request: ApiRequest, start: str, to: str) -> metrics.Period:
    zone = request.auth.user.zone
    return metrics.period_parse(start, to, zone=zone, today=clock.now().astimezone(zone).date())


def _times(times: metrics.Times) -> dict[str, Any]:
    return {"count": times.count, "mean_s": times.mean, "median_s": times.median}


# The reports answer JSON, or with `format=csv` the same table as CSV: both are documented.
_CSV_TOO: dict[str, Any] = {"responses": {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}}}


def _row(row: metrics.MetricRow) -> dict[str, Any]:
    return {"key": row.key, "incidents": row.incidents, "mtta": _times(row.mtta), "mttr": _times(row.mttr)}


@router.get("/reports/metrics", response=MetricsOut, tags=["reports"], openapi_extra=_CSV_TOO)
def report_metrics(
    request: ApiRequest,
    start: str = _FROM,
    to: str = _TO,
    group: Literal["client", "service", "category", "priority", "month"] = "client",
    client: str = "",
    format: Literal["json", "csv"] = "json",
) -> Any:
    """MTTA and MTTR (mean and median, seconds) by group; counts per month; SLA per month;
    priority changes after opening; review and action-item completion. `format=csv`: the table."""
    _reports_access(request, client)
    period = _period(request, start, to)
    result = metrics.incident_metrics(actor=request.auth, period=period, group=group, client_slug=client)
    if format == "csv":
        return attachment(exports.metrics_csv(result).encode(), "text/csv", f"metrics-{group}.csv")
    return {
        "start": period.start, "end": period.end, "group": group, "rows": [_row(r) for r in result.rows],
        "total": _row(result.total), "incidents_per_month": result.months, "sla_per_month": result.sla,
        "priority_changes": result.risk, "reviews": result.reviews, "action_items": result.actions,
    }  # fmt: skip


@router.get("/reports/noise", response=NoiseOut, tags=["reports"], openapi_extra=_CSV_TOO)
def report_noise(
    request: ApiRequest,
    start: str = _FROM,
    to: str = _TO,
    client: str = "",
    auto_minutes: Annotated[int, Field(ge=1, le=1440)] = 5,
    format: Literal["json", "csv"] = "json",
) -> Any:
    """Alert noise: alerts per incident, never acknowledged, resolved on their own within
    `auto_minutes`, flapping; the noisiest integrations and event rules."""
    _reports_access(request, client)
    period = _period(request, start, to)
    noise = metrics.noise_metrics(
        actor=request.auth, period=period, client_slug=client, auto_minutes=auto_minutes
    )
    if format == "csv":
        return attachment(exports.noise_csv(noise).encode(), "text/csv", "noise.csv")
    return {
        "start": period.start, "end": period.end, **noise.__dict__,
        "integrations": [
            {"client": c, "integration": name, "type": kind, "alerts": n}
            for c, name, kind, n in noise.integrations
        ],
        "rules": [{"client": c, "rule": name, "dropped": n} for c, name, n in noise.rules],
    }  # fmt: skip


@router.get("/reports/oncall-load", response=list[LoadOut], tags=["reports"], openapi_extra=_CSV_TOO)
def report_oncall_load(
    request: ApiRequest,
    start: str = _FROM,
    to: str = _TO,
    client: str = "",
    format: Literal["json", "csv"] = "json",
) -> Any:
    """Pages and interruptions per technician (push, SMS and voice; several within 60 s count
    once), by business, off and sleep hours in the technician's own time zone."""
    _reports_access(request, client)
    loads = metrics.oncall_load(actor=request.auth, period=_period(request, start, to), client_slug=client)
    if format == "csv":
        return attachment(exports.load_csv(loads).encode(), "text/csv", "oncall-load.csv")
    return [
        {"user": load.user_id, "person": load.person, "time_zone": load.zone, "pages": load.pages,
         "notifications": load.notifications, "interruptions": load.interruptions_total,
         "business_hours": load.interruptions["business"], "off_hours": load.interruptions["off"],
         "sleep_hours": load.interruptions["sleep"]}
        for load in loads
    ]  # fmt: skip
