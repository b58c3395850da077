"""Runbooks: define them, find the ones that fit an incident, follow one on an incident.

A run copies the runbook's title, version and steps when it starts (the incident keeps what
was followed, whatever later edits say); each ticked step is a timeline entry of the incident,
written in the same transaction under the incident's row lock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q, QuerySet

from watchkeeper.alerts.rules import field_errors
from watchkeeper.audit.services import audit_record, snapshot
from watchkeeper.core import clock
from watchkeeper.core.errors import Conflict, InvalidInput, NotFound
from watchkeeper.incidents.locks import incident_lock
from watchkeeper.incidents.models import Incident, TimelineKind
from watchkeeper.incidents.services import timeline_add
from watchkeeper.knowledge.models import TITLE_MAX, Runbook, RunbookRun, StepKind
from watchkeeper.knowledge.services import (
    _checked_categories,
    _checked_services,
    knowledge_require_write,
)
from watchkeeper.tenancy import access
from watchkeeper.tenancy.access import By, user_of
from watchkeeper.tenancy.models import Client, Service

MAX_STEPS = 100
STEP_MAX = 2000
MAX_MATCH_FIELDS = 10

# --- definitions -------------------------------------------------------------------------------


def _checked_steps(steps: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    if not steps:
        raise InvalidInput("A runbook needs at least one step.", field="steps")
    if len(steps) > MAX_STEPS:
        raise InvalidInput(f"At most {MAX_STEPS} steps.", field="steps")
    kinds = set(StepKind.values)
    checked = []
    for number, step in enumerate(steps, start=1):
        kind, text = str(step.get("kind", StepKind.CHECK)), str(step.get("text", "")).strip()
        if kind not in kinds:
            raise InvalidInput(f"Step {number}: unknown kind {kind!r}.", field="steps")
        if not text or len(text) > STEP_MAX or "\x00" in text:
            raise InvalidInput(f"Step {number} needs a text of 1 to {STEP_MAX} characters.", field="steps")
        checked.append({"kind": kind, "text": text})
    return checked


def _checked_match(match: dict[str, str]) -> dict[str, str]:
    if len(match) > MAX_MATCH_FIELDS:
        raise InvalidInput(f"At most {MAX_MATCH_FIELDS} alert fields.", field="alert_match")
    for name, value in match.items():
        problem = field_errors(name)
        if problem:
            raise InvalidInput(f"The alert field {problem}.", field="alert_match")
        if not isinstance(value, str) or not value or len(value) > 200:
            raise InvalidInput(
                f"The alert field '{name}' needs a value of 1 to 200 characters.", field="alert_match"
            )
    return dict(match)


def _checked_title(title: str) -> str:
    title = " ".join(title.split())
    if not title or len(title) > TITLE_MAX:
        raise InvalidInput(f"A runbook needs a title of 1 to {TITLE_MAX} characters.", field="title")
    return title


@transaction.atomic
def runbook_create(
    *,
    actor: By,
    client: Client | None,
    title: str,
    steps: Sequence[dict[str, Any]],
    description: str = "",
    review_due: dt.date | None = None,
    service_ids: Sequence[int] = (),
    categories: Sequence[str] = (),
    alert_match: dict[str, str] | None = None,
    is_active: bool = True,
    via: str = "console",
) -> Runbook:
    knowledge_require_write(actor=actor, client=client)
    services = _checked_services(actor, client, service_ids)
    runbook = Runbook.objects.create(
        client=client, title=_checked_title(title), description=description, owner=user_of(actor),
        review_due=review_due, steps=_checked_steps(steps), categories=_checked_categories(categories),
        alert_match=_checked_match(alert_match or {}), is_active=is_active,
    )  # fmt: skip
    runbook.services.set(services)
    audit_record(actor=actor, action="runbook.create", obj=runbook, after=snapshot(runbook), via=via)
    return runbook


@transaction.atomic
def runbook_update(
    *,
    actor: By,
    runbook: Runbook,
    service_ids: Sequence[int] | None = None,
    via: str = "console",
    **changes: Any,
) -> Runbook:
    """Change a runbook; a change of its steps or title is a new version (runs keep theirs)."""
    knowledge_require_write(actor=actor, client=runbook.client)
    locked = Runbook.objects.select_for_update().get(pk=runbook.pk)
    before = snapshot(locked)
    fields: list[str] = []
    checks: dict[str, Callable[[Any], Any]] = {
        "title": _checked_title, "steps": _checked_steps, "categories": _checked_categories,
        "alert_match": _checked_match, "description": str, "review_due": lambda v: v, "is_active": bool,
    }  # fmt: skip
    for name, value in changes.items():
        if name not in checks:
            raise InvalidInput(f"Cannot change {name}.")
        setattr(locked, name, checks[name](value))
        fields.append(name)
    if locked.title != before["title"] or locked.steps != before["steps"]:
        locked.version += 1
        fields.append("version")
    if service_ids is not None:
        locked.services.set(_checked_services(actor, locked.client, service_ids))
    locked.save(update_fields=locked.touch_fields(*fields))
    audit_record(
        actor=actor, action="runbook.update", obj=locked, before=before, after=snapshot(locked), via=via
    )
    return locked


# --- reads -------------------------------------------------------------------------------------


def runbook_scope(*, actor: access.ActorLike) -> QuerySet[Runbook]:
    """Runbooks are MSP work: staff read the MSP-wide ones and those of clients they see."""
    if not access.can(actor, "knowledge.view"):
        return Runbook.objects.none()
    return access.scope_shared(Runbook.objects.all(), actor)


def _listed(qs: QuerySet[Runbook]) -> QuerySet[Runbook]:
    return qs.select_related("client", "owner").prefetch_related(
        Prefetch("services", queryset=Service.objects.only("id", "name", "client_id"))
    )


def runbook_list(
    *, actor: access.ActorLike, client: Client | None = None, review_overdue: bool = False
) -> QuerySet[Runbook]:
    qs = runbook_scope(actor=actor)
    if client is not None:
        qs = qs.filter(Q(client=client) | Q(client__isnull=True))
    if review_overdue:
        qs = qs.filter(review_due__lte=clock.now().date(), is_active=True)
    return _listed(qs).order_by("title", "id")


def runbook_access(*, actor: access.ActorLike, pk: int) -> Runbook:
    runbook = _listed(runbook_scope(actor=actor)).filter(pk=pk).first()
    if runbook is None:
        raise NotFound(f"No runbook {pk}.")
    return runbook


def _alert_value(alert: Any, name: str) -> str | None:
    head, _, rest = name.partition(".")
    if head in {"labels", "details"} and rest:
        source = alert.labels if head == "labels" else alert.details
        value: Any = source.get(rest) if isinstance(source, dict) else None
        if value is None and head == "details":
            value = source
            for part in rest.split("."):
                value = value.get(part) if isinstance(value, dict) else None
    else:
        value = getattr(alert, name, None)
    return None if value is None else str(value)


def _alert_matches(alerts: list[Any], match: dict[str, str]) -> bool:
    return any(all(_alert_value(alert, k) == v for k, v in match.items()) for alert in alerts)


def runbooks_suggested(*, incident: Incident, limit: int = 10) -> list[Runbook]:
    """Active runbooks of the incident's client (or MSP-wide) whose links match it: its service,
    its category, or every alert field of `alert_match` on one of its alerts. Caller has
    checked the actor may see the incident. Two queries, whatever the number of runbooks."""
    candidates = list(
        Runbook.objects.filter(Q(client=incident.client_id) | Q(client__isnull=True), is_active=True)
        .prefetch_related(Prefetch("services", queryset=Service.objects.only("id")))
        .order_by("title", "id")[:500]
    )
    needs_alerts = any(runbook.alert_match for runbook in candidates)
    fields = (
        "labels",
        "details",
        "summary",
        "source",
        "severity",
        "component",
        "group",
        "alert_class",
        "dedup_key",
    )
    alerts = list(incident.alerts.only(*fields, "category")[:50]) if needs_alerts else []
    found = []
    for runbook in candidates:
        by_service = any(service.pk == incident.service_id for service in runbook.services.all())
        by_category = bool(incident.category) and incident.category in runbook.categories
        by_alert = bool(runbook.alert_match) and _alert_matches(alerts, runbook.alert_match)
        if by_service or by_category or by_alert:
            found.append(runbook)
    return found[:limit]


def incident_runbook_runs(*, incident: Incident) -> list[RunbookRun]:
    return list(RunbookRun.objects.filter(incident=incident).order_by("started_at", "id"))


def runbook_run_access(*, actor: access.ActorLike, pk: int) -> RunbookRun:
    run = access.scope_for(RunbookRun.objects.all(), actor, "incidents.view").filter(pk=pk).first()
    if run is None:
        raise NotFound(f"No runbook run {pk}.")
    return run


# --- following a runbook on an incident ---------------------------------------------------------


def runbook_start(*, actor: By, incident: Incident, runbook: Runbook) -> RunbookRun:
    """Start following `runbook` on `incident` (once per incident: starting it again answers
    the run already there). Caller has checked the actor may respond to the incident."""
    if runbook.client_id not in (None, incident.client_id):
        raise InvalidInput("This runbook is another client's.", field="runbook_id")
    existing = RunbookRun.objects.filter(incident=incident, runbook=runbook).first()
    if existing is not None:
        return existing
    user = user_of(actor)
    label = user.email if user else str(actor)
    try:
        with transaction.atomic():
            locked = incident_lock(incident_id=incident.pk)
            run = RunbookRun.objects.create(
                client_id=locked.client_id, incident=locked, runbook=runbook, version=runbook.version,
                title=runbook.title, steps=runbook.steps, started_by_label=label,
            )  # fmt: skip
            timeline_add(
                incident=locked, kind=TimelineKind.NOTE, by=actor,
                text=f"Started runbook **{runbook.title}** "
                f"(version {runbook.version}, {len(runbook.steps)} steps).",
                data={"runbook_run": run.pk, "runbook": runbook.pk, "version": runbook.version},
            )  # fmt: skip
    except IntegrityError:  # started by someone else at the same moment
        return RunbookRun.objects.get(incident=incident, runbook=runbook)
    return run


def runbook_tick(*, actor: By, run: RunbookRun, step: int) -> RunbookRun:
    """Tick one step, once; the tick is on the incident's timeline."""
    with transaction.atomic():
        incident = incident_lock(incident_id=run.incident_id)
        locked = RunbookRun.objects.select_for_update().get(pk=run.pk)
        if not 0 <= step < len(locked.steps):
            raise InvalidInput(f"This runbook has steps 1 to {len(locked.steps)}.", field="step")
        if step in locked.ticked:
            raise Conflict(f"Step {step + 1} is already ticked.")
        user = user_of(actor)
        label = user.email if user else str(actor)
        now = clock.now()
        locked.ticks = [*locked.ticks, {"step": step, "by": label, "at": now.isoformat()}]
        update = ["ticks"]
        if len(locked.ticked) == len(locked.steps):
            locked.finished_at = now
            update.append("finished_at")
        locked.save(update_fields=update)
        text = locked.steps[step]["text"]
        done = " All steps done." if locked.finished_at else ""
        timeline_add(
            incident=incident, kind=TimelineKind.NOTE, by=actor,
            text=f"Runbook **{locked.title}**, step {step + 1} done: {text}{done}",
            data={"runbook_run": locked.pk, "step": step},
        )  # fmt: skip
    return locked


def runbook_reference(*, actor: access.ActorLike, pk: int) -> Runbook:
    """A runbook a write points at: InvalidInput (400) when the actor cannot read it."""
    runbook = runbook_scope(actor=actor).filter(pk=pk, is_active=True).first()
    if runbook is None:
        raise InvalidInput(f"Unknown runbook {pk}.", field="runbook_id")
    return runbook


def incident_runbook_panel(*, incident: Incident, can_respond: bool) -> dict[str, Any]:
    """What the incident page shows of runbooks: the runs started on it with each step's state,
    and the matching runbooks not started yet. Three queries."""
    runs = incident_runbook_runs(incident=incident)
    started = {run.runbook_id for run in runs}
    for run in runs:
        ticks = {int(tick["step"]): tick for tick in run.ticks}
        run.step_rows = [  # type: ignore[attr-defined]
            {"index": index, "text": step["text"], "kind": step["kind"], "ticked": index in ticks,
             "by": ticks[index]["by"] if index in ticks else ""}
            for index, step in enumerate(run.steps)
        ]  # fmt: skip
    suggested = [rb for rb in runbooks_suggested(incident=incident) if rb.pk not in started]
    return {"runs": runs, "suggested": suggested, "can_respond": can_respond}


def _incident_notes(incident: Incident) -> list[str]:
    """What the responders wrote they did, oldest first, without runbook ticks."""
    notes = (
        incident.timeline.filter(kind=TimelineKind.NOTE)
        .exclude(data__has_key="runbook_run")
        .order_by("at", "id")
        .values_list("text", flat=True)[:MAX_STEPS]
    )
    return [text.strip() for text in notes if text.strip()]


def article_draft_from_incident(*, incident: Incident) -> dict[str, Any]:
    """The first draft of a KB article about an incident (not saved: the technician edits it
    first): its title, and its notes as what was done. Caller has checked the actor sees it."""
    lines = "\n".join(f"- {note.splitlines()[0]}" for note in _incident_notes(incident))
    body = (
        f"## Symptoms\n{incident.title}\n\n## What fixed it\n{lines or '- '}\n\n"
        f"_From {incident.reference}._\n"
    )
    return {"title": incident.title[:TITLE_MAX], "body": body, "client": incident.client.slug}


def runbook_from_incident(*, actor: By, incident: Incident) -> Runbook:
    """A draft runbook (inactive, so suggested nowhere until someone reviews and activates it)
    made of the steps the responders wrote on the incident's timeline: its notes, oldest first,
    without runbook ticks. Linked to the incident's service and category; review due at once."""
    steps = [{"kind": StepKind.CHECK, "text": text[:STEP_MAX]} for text in _incident_notes(incident)]
    if not steps:
        raise InvalidInput("The incident has no notes to turn into steps: add what you did as notes first.")
    return runbook_create(
        actor=actor, client=incident.client, title=f"Draft: {incident.title}"[:TITLE_MAX],
        description=f"Made from incident {incident.reference} on {clock.now():%Y-%m-%d}.", steps=steps,
        review_due=clock.now().date(), service_ids=[incident.service_id],
        categories=[incident.category] if incident.category else [], is_active=False,
    )  # fmt: skip
