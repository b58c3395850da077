"""Demo paging: an MSP-wide NOC default policy, Harbourview Dental's own policy, and e-mail
contact methods with rules for every MSP technician. Idempotent: keyed on names. Every policy
pages only people who may work on the clients it pages for (no warnings, nobody skipped).

The demo's history was played before this step; its incidents are marked as already handled
by paging, so starting the engine after `watchkeeper demo` does not page for last month.
"""

from __future__ import annotations

from collections import Counter

from watchkeeper.accounts.models import Team, User
from watchkeeper.demo import data
from watchkeeper.incidents.models import Incident
from watchkeeper.oncall.models import Schedule
from watchkeeper.paging.models import (
    ContactKind,
    ContactMethod,
    EscalationLevel,
    EscalationPolicy,
    EscalationState,
    EscalationTarget,
    IncidentEscalation,
    NotificationRule,
    TargetKind,
)
from watchkeeper.tenancy import access
from watchkeeper.tenancy.models import Client

NOC_POLICY = "NOC default"
DESK_CLIENT = "hvdental"  # a standard-tier client with its own business-hours desk
DESK_SCHEDULE = "Harbourview Dental business hours"


Levels = list[tuple[int, list[EscalationTarget]]]


def _policy(
    name: str, *, client: Client | None, levels: Levels, repeat: int, description: str, created: Counter[str]
) -> None:
    policy, made = EscalationPolicy.objects.get_or_create(
        name=name,
        defaults={"client": client, "is_default": True, "repeat": repeat, "description": description},
    )
    created["escalation policy"] += made
    if not made:
        return
    for position, (delay, targets) in enumerate(levels):
        level = EscalationLevel.objects.create(policy=policy, position=position, delay_minutes=delay)
        for target in targets:
            target.level = level
        EscalationTarget.objects.bulk_create(targets)


def _contact_methods(created: Counter[str]) -> None:
    for user in access.staff_for_client(None).filter(email__endswith=data.MSP_DOMAIN):
        if ContactMethod.objects.filter(user=user).exists():
            continue
        method = ContactMethod(
            user=user, kind=ContactKind.EMAIL, label="Work e-mail", address_hint=user.email[:60]
        )
        method.address = user.email
        method.save()
        for urgency in ("high", "low"):
            NotificationRule.objects.create(
                user=user, urgency=urgency, contact_method=method, delay_minutes=0
            )
        created["contact method"] += 1


def _history_handled() -> None:
    """The history's incidents: paging has seen them (no catch-up storm for last month)."""
    seen = IncidentEscalation.objects.values("incident_id")
    rows = [
        IncidentEscalation(
            incident=incident,
            state=EscalationState.STOPPED,
            run=1,
            seen_status=incident.status,
        )
        for incident in Incident.objects.exclude(pk__in=seen)
    ]
    IncidentEscalation.objects.bulk_create(rows)


def _people(*handles: str) -> list[User]:
    return list(User.objects.filter(email__in=[f"{h}@{data.MSP_DOMAIN}" for h in handles]).order_by("email"))


def paging_load(*, created: Counter[str]) -> None:
    """Policies that page only people who may work on the clients they page for: the NOC default
    serves every client, so it names the all-clients desk lead and infrastructure engineers (a
    team would name technicians of some clients only, who are skipped when paged for others);
    Harbourview's policy names its own business-hours schedule."""
    desk_lead, infra = _people("sam.okafor"), _people("aisha.rahman", "erik.lund")
    if desk_lead and infra:
        _policy(
            NOC_POLICY, client=None, repeat=1, created=created,
            description="Services without their own policy: the service desk lead, then infrastructure "
            "(people who work on every client).",
            levels=[(10, [EscalationTarget(kind=TargetKind.USER, user=user) for user in desk_lead]),
                    (15, [EscalationTarget(kind=TargetKind.USER, user=user) for user in infra])],
        )  # fmt: skip
    desk = Team.objects.filter(slug=data.SERVICE_DESK).first()
    client = Client.objects.filter(slug=DESK_CLIENT).first()
    schedule = Schedule.objects.filter(name=DESK_SCHEDULE, client=client).first() if client else None
    if client is not None and schedule is not None and desk is not None:
        _policy(
            f"{client.name} desk", client=client, repeat=2, created=created,
            description="Their dedicated business-hours desk first, then the whole service desk.",
            levels=[(5, [EscalationTarget(kind=TargetKind.SCHEDULE, schedule=schedule)]),
                    (10, [EscalationTarget(kind=TargetKind.TEAM, team=desk)])],
        )  # fmt: skip
    _contact_methods(created)
    _history_handled()
