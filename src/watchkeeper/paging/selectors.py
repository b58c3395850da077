"""Reads of paging, scoped by the access module.

Escalation policies are MSP data: MSP staff see the MSP-wide ones and those of the clients
they see; portal users see none. A person's contact methods, rules and notification log are
theirs: they see their own, MSP admins (users.manage) see anyone's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.db.models import Q, QuerySet

from watchkeeper.accounts.models import Team, User
from watchkeeper.accounts.selectors import team_list
from watchkeeper.core.errors import InvalidInput, NotFound
from watchkeeper.incidents.models import Incident
from watchkeeper.oncall.models import Schedule
from watchkeeper.paging.models import (
    ContactMethod,
    EscalationLevel,
    EscalationPolicy,
    EscalationState,
    EscalationTarget,
    IncidentEscalation,
    NotificationRule,
    OutboxMessage,
)
from watchkeeper.paging.services.escalation import NO_SUCH_ASSIGNEE, policy_for_incident
from watchkeeper.paging.targets import target_gaps
from watchkeeper.tenancy import access
from watchkeeper.tenancy.models import Service
from watchkeeper.tenancy.selectors import service_list


def policy_list(*, actor: access.ActorLike) -> QuerySet[EscalationPolicy]:
    if not access.can(actor, "escalation.view"):
        return EscalationPolicy.objects.none()
    visible = Q(client__isnull=True) | Q(client__in=access.visible_clients(actor).values("pk"))
    return EscalationPolicy.objects.filter(visible).select_related("client").order_by("name", "id")


def policy_access(*, actor: access.ActorLike, pk: int) -> EscalationPolicy:
    policy = (
        policy_list(actor=actor)
        .prefetch_related("levels__targets__user", "levels__targets__team", "levels__targets__schedule")
        .filter(pk=pk)
        .first()
    )
    if policy is None:
        raise NotFound(f"No escalation policy {pk}.")
    return policy


def policy_level_of(*, policy: EscalationPolicy, pk: int) -> EscalationLevel:
    """One level of a policy the actor already reached (`policy_access`)."""
    level = next((level for level in policy.levels.all() if level.pk == pk), None)
    if level is None:
        raise NotFound(f"No level {pk} in {policy.name}.")
    return level


def policy_target_of(*, level: EscalationLevel, pk: int) -> EscalationTarget:
    target = next((target for target in level.targets.all() if target.pk == pk), None)
    if target is None:
        raise NotFound(f"No target {pk} on this level.")
    return target


def policy_services(*, actor: access.ActorLike, policy: EscalationPolicy) -> QuerySet[Service]:
    """The services paged with `policy` directly, of the clients the actor sees (an MSP-wide
    policy may page for other clients' services too: those stay hidden)."""
    linked = policy.service_links.values("service_id")
    return service_list(actor=actor).filter(pk__in=linked)


def policy_service_choices(*, actor: access.ActorLike, policy: EscalationPolicy) -> QuerySet[Service]:
    """Services the policy may page for: its client's, or (MSP-wide) every visible client's,
    each with the policy it uses now."""
    services = service_list(actor=actor, client=policy.client) if policy.client else service_list(actor=actor)
    return services.select_related("escalation__policy")


def default_policy(*, policy: EscalationPolicy) -> EscalationPolicy | None:
    """The default `policy` would replace or is: its client's, or the NOC default."""
    return EscalationPolicy.objects.filter(client=policy.client, is_default=True).first()


def policy_escalating_count(*, actor: access.ActorLike, policy: EscalationPolicy) -> int:
    """Incidents (of the clients the actor sees) escalating with `policy` now."""
    rows = IncidentEscalation.objects.filter(policy=policy, state=EscalationState.ACTIVE)
    return access.scope(rows, actor, field="incident__client").count()


def policy_warnings(*, policy: EscalationPolicy) -> list[str]:
    """For each target naming people who cannot work on the policy's client (MSP-wide: on every
    client), what happens to them: they are skipped when paged. Warnings, not refusals."""
    targets = EscalationTarget.objects.filter(level__policy=policy).select_related("user", "schedule", "team")
    gaps = (
        target_gaps(target=target, client=policy.client)
        for target in targets.order_by("level__position", "pk")
    )
    return [gap for gap in gaps if gap]


@dataclass(frozen=True)
class TargetChoices:
    """Whom a level of one policy may page, by the rules `services.policies` checks."""

    users: list[User]
    schedules: list[Schedule]
    teams: list[Team]


def policy_target_choices(*, actor: access.ActorLike, policy: EscalationPolicy) -> TargetChoices:
    schedules = access.scope_shared(Schedule.objects.all(), actor).filter(
        Q(client__isnull=True) | Q(client=policy.client) if policy.client else Q(client__isnull=True)
    )
    return TargetChoices(
        users=list(access.staff_for_client(policy.client).order_by("full_name", "email")),
        schedules=list(schedules.order_by("name", "id")),
        teams=list(team_list(actor=actor).prefetch_related(None)),
    )


def reassign_candidate(*, incident: Incident, user_id: int) -> User:
    """The active MSP person `user_id` names, if they may work on the incident's client."""
    person = access.staff_for_client(incident.client).filter(pk=user_id).first()
    if person is None:
        raise InvalidInput(NO_SUCH_ASSIGNEE, field="user")
    return person


def person_access(*, actor: access.ActorLike, user_id: int) -> User:
    """The MSP user whose paging settings the actor may see: themself, or anyone for admins."""
    me = access.as_actor(actor).user
    if user_id == me.pk and me.is_msp and access.can(actor, "console.use"):
        return me
    # Reading anyone's: an MSP owner or admin whose token is not narrowed to one client
    # (changing them also needs the admin scope: see services.config).
    if access.is_msp_admin(me) and access.sees_every_client(actor):
        person = User.objects.filter(pk=user_id).first()
        if person is not None and person.is_msp:
            return person
    raise NotFound(f"No user {user_id}.")


def contact_methods(*, user: User) -> QuerySet[ContactMethod]:
    return ContactMethod.objects.filter(user=user).order_by("id")


def notification_rules(*, user: User) -> QuerySet[NotificationRule]:
    rules = NotificationRule.objects.filter(user=user).select_related("contact_method")
    return rules.order_by("urgency", "delay_minutes", "id")


def message_log(*, user: User) -> QuerySet[OutboxMessage]:
    messages = OutboxMessage.objects.filter(user=user).select_related("contact_method", "incident__client")
    return messages.order_by("-created_at", "-id")


def incident_escalation(*, incident: Incident) -> IncidentEscalation | None:
    return IncidentEscalation.objects.select_related("policy").filter(incident=incident).first()


@dataclass(frozen=True)
class IncidentPanel:
    """What the incident page shows of paging: the escalation's state, the level that paged
    last and the one next (1-based), and, for someone who may respond (`can_respond`, decided
    by the caller through the access module), the levels to escalate to, with the next level
    chosen, and the people to reassign to."""

    escalation: IncidentEscalation | None
    levels: list[EscalationLevel]
    people: list[User]
    paged_level: int | None = None  # the level that paged last (None: none yet)
    paged_repeat: int = 0  # in which repeat of the policy it paged
    next_level: int | None = None  # the level the next step pages (None: it ends the run)
    escalate_to: int = 1  # the level "Escalate to" proposes: the next one


def _positions(row: IncidentEscalation | None, count: int) -> tuple[int | None, int, int | None]:
    """(paged level, its repeat, next level), 1-based, from the escalation's position.

    The position (`loop`, `level`) names the step that fires next: after level L pages, the
    position moves on to L + 1, to level 0 of the next repeat, or past the last level (the step
    that ends the run). So the level that paged is the one before the position."""
    if row is None or row.run == 0 or count == 0:
        return None, 0, None
    level, loop = min(row.level, count), row.loop
    next_level = level + 1 if level < count else None
    if level > 0:
        return level, loop, next_level
    if loop > 0:
        return count, loop - 1, next_level
    return None, 0, next_level  # the run's first step has not fired yet


def incident_panel(*, incident: Incident, can_respond: bool) -> IncidentPanel:
    escalation = incident_escalation(incident=incident)
    policy = escalation.policy if escalation and escalation.policy else None
    count = policy.levels.count() if policy else 0
    paged, repeat, upcoming = _positions(escalation, count)
    panel = IncidentPanel(
        escalation=escalation,
        levels=[],
        people=[],
        paged_level=paged,
        paged_repeat=repeat,
        next_level=upcoming,
    )
    if not can_respond:
        return panel
    policy = policy_for_incident(incident=incident)
    levels = list(policy.levels.all()) if policy else []
    people = list(access.staff_for_client(incident.client).order_by("full_name")[:200])
    # The next level, not level 1 again: re-paging who was just paged is rarely the intent.
    # Past the last level (paging stopped) the last level is the nearest there is.
    escalate_to = max(1, min(upcoming or (len(levels) if paged else 1), len(levels)))
    return replace(panel, levels=levels, people=people, escalate_to=escalate_to)
