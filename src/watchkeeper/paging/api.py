"""REST adapters of paging: escalation policies, service assignments, contact methods,
notification rules, the notification log, and escalate/reassign on incidents. Thin."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from ninja import Router, Status

from watchkeeper.accounts.models import User
from watchkeeper.core.errors import InvalidInput
from watchkeeper.core.pagination import paginated
from watchkeeper.core.schemas import Id
from watchkeeper.incidents.models import Incident
from watchkeeper.incidents.selectors import incident_access
from watchkeeper.paging import selectors
from watchkeeper.paging.models import (
    ContactMethod,
    EscalationPolicy,
    IncidentEscalation,
    NotificationRule,
    OutboxMessage,
    ServiceEscalation,
)
from watchkeeper.paging.schemas import (
    ContactMethodIn,
    ContactMethodOut,
    EscalateIn,
    EscalationOut,
    EscalationPolicyIn,
    EscalationPolicyOut,
    MessageOut,
    PolicyWriteOut,
    ReassignIn,
    RuleIn,
    RuleOut,
    ServicePolicyIn,
    ServicePolicyOut,
)
from watchkeeper.paging.services import config, policies
from watchkeeper.paging.services.escalation import incident_escalate, incident_reassign, policy_for_incident
from watchkeeper.paging.services.notify import test_message_send
from watchkeeper.tenancy import access
from watchkeeper.tenancy.http import ApiRequest
from watchkeeper.tenancy.models import Service

router = Router(tags=["paging"])


def _levels(body: EscalationPolicyIn) -> list[policies.LevelSpec]:
    return [
        policies.LevelSpec(level.delay_minutes, [policies.TargetSpec(t.kind, t.id) for t in level.targets])
        for level in body.levels
    ]


def _save(request: ApiRequest, body: EscalationPolicyIn, policy: EscalationPolicy | None) -> PolicyWriteOut:
    actor = request.auth
    client = access.client_reference(actor, body.client) if body.client else None
    saved = policies.policy_save(
        actor=actor, name=body.name, description=body.description, client=client, is_default=body.is_default,
        repeat=body.repeat, levels=_levels(body), policy=policy,
    )  # fmt: skip
    out = PolicyWriteOut.from_orm(selectors.policy_access(actor=actor, pk=saved.pk))
    out.warnings = selectors.policy_warnings(policy=saved)
    return out


@router.get("/escalation-policies", response=list[EscalationPolicyOut])
@paginated()
def list_policies(request: ApiRequest) -> QuerySet[EscalationPolicy]:
    return selectors.policy_list(actor=request.auth).prefetch_related("levels__targets")


@router.post("/escalation-policies", response={201: PolicyWriteOut})
def create_policy(request: ApiRequest, body: EscalationPolicyIn) -> Status[PolicyWriteOut]:
    return Status(201, _save(request, body, None))


@router.get("/escalation-policies/{policy_id}", response=EscalationPolicyOut)
def get_policy(request: ApiRequest, policy_id: Id) -> EscalationPolicy:
    return selectors.policy_access(actor=request.auth, pk=policy_id)


@router.put("/escalation-policies/{policy_id}", response=PolicyWriteOut)
def replace_policy(request: ApiRequest, policy_id: Id, body: EscalationPolicyIn) -> PolicyWriteOut:
    return _save(request, body, selectors.policy_access(actor=request.auth, pk=policy_id))


@router.delete("/escalation-policies/{policy_id}", response={204: None})
def delete_policy(request: ApiRequest, policy_id: Id) -> Status[None]:
    policy = selectors.policy_access(actor=request.auth, pk=policy_id)
    policies.policy_delete(actor=request.auth, policy=policy)
    return Status(204, None)


def _service_policy(service: Service) -> ServicePolicyOut:
    link = ServiceEscalation.objects.filter(service=service).first()
    client_default = EscalationPolicy.objects.filter(client_id=service.client_id, is_default=True).first()
    msp = EscalationPolicy.objects.filter(client__isnull=True, is_default=True).first()
    policy, source = (
        (link.policy, "service") if link else
        (client_default, "client default") if client_default else
        (msp, "MSP default") if msp else (None, "none")
    )  # fmt: skip
    return ServicePolicyOut(
        service_id=service.pk,
        service_name=service.name,
        policy_id=policy.pk if policy else None,
        source=source,
    )


@router.get("/services/{service_id}/escalation-policy", response=ServicePolicyOut)
def get_service_policy(request: ApiRequest, service_id: Id) -> ServicePolicyOut:
    service = access.object_access(request.auth, Service.objects.all(), pk=service_id)
    access.require(request.auth, "escalation.view")
    return _service_policy(service)


@router.put("/services/{service_id}/escalation-policy", response=ServicePolicyOut)
def set_service_policy(request: ApiRequest, service_id: Id, body: ServicePolicyIn) -> ServicePolicyOut:
    actor = request.auth
    service = access.object_access(actor, Service.objects.all(), pk=service_id)
    policy = None
    if body.policy is not None:
        policy = selectors.policy_list(actor=actor).filter(pk=body.policy).first()
        if policy is None:
            raise InvalidInput(f"Unknown escalation policy {body.policy}.", field="policy")
    policies.service_policy_set(actor=actor, service=service, policy=policy)
    return _service_policy(service)


def _person(request: ApiRequest, user_id: int) -> User:
    return selectors.person_access(actor=request.auth, user_id=user_id)


@router.get("/users/{user_id}/contact-methods", response=list[ContactMethodOut])
@paginated()
def list_contact_methods(request: ApiRequest, user_id: Id) -> QuerySet[ContactMethod]:
    return selectors.contact_methods(user=_person(request, user_id))


@router.post("/users/{user_id}/contact-methods", response={201: ContactMethodOut})
def create_contact_method(request: ApiRequest, user_id: Id, body: ContactMethodIn) -> Status[ContactMethod]:
    method = config.contact_method_create(
        actor=request.auth, user=_person(request, user_id), kind=body.kind, label=body.label,
        address=body.address, throttle=body.throttle_per_15_minutes,
    )  # fmt: skip
    return Status(201, method)


@router.delete("/users/{user_id}/contact-methods/{method_id}", response={204: None})
def delete_contact_method(request: ApiRequest, user_id: Id, method_id: Id) -> Status[None]:
    method = config.method_of(user=_person(request, user_id), pk=method_id)
    config.contact_method_delete(actor=request.auth, method=method)
    return Status(204, None)


@router.post("/users/{user_id}/contact-methods/{method_id}/test", response={202: MessageOut})
def test_contact_method(request: ApiRequest, user_id: Id, method_id: Id) -> Status[OutboxMessage]:
    person = _person(request, user_id)
    method = config.method_of(user=person, pk=method_id)
    access.require(request.auth, "paging.self" if person.pk == request.auth.user.pk else "users.manage")
    return Status(202, test_message_send(method=method, by=request.auth.user))


@router.get("/users/{user_id}/notification-rules", response=list[RuleOut])
@paginated()
def list_rules(request: ApiRequest, user_id: Id) -> QuerySet[NotificationRule]:
    return selectors.notification_rules(user=_person(request, user_id))


@router.post("/users/{user_id}/notification-rules", response={201: RuleOut})
def create_rule(request: ApiRequest, user_id: Id, body: RuleIn) -> Status[NotificationRule]:
    rule = config.rule_create(
        actor=request.auth, user=_person(request, user_id), contact_method_id=body.contact_method,
        delay_minutes=body.delay_minutes, urgency=body.urgency,
    )  # fmt: skip
    return Status(201, rule)


@router.delete("/users/{user_id}/notification-rules/{rule_id}", response={204: None})
def delete_rule(request: ApiRequest, user_id: Id, rule_id: Id) -> Status[None]:
    rule = config.rule_of(user=_person(request, user_id), pk=rule_id)
    config.rule_delete(actor=request.auth, rule=rule)
    return Status(204, None)


@router.get("/users/{user_id}/notifications", response=list[MessageOut])
@paginated()
def list_notifications(request: ApiRequest, user_id: Id) -> QuerySet[OutboxMessage]:
    return selectors.message_log(user=_person(request, user_id))


def _respondable(request: ApiRequest, incident_id: int) -> Incident:
    incident = incident_access(actor=request.auth, pk=incident_id)
    access.require(request.auth, "incidents.respond", client=incident.client)
    return incident


def _escalation(incident: Incident) -> EscalationOut:
    row = IncidentEscalation.objects.filter(incident=incident).first()
    common: dict[str, Any] = {
        "incident_id": incident.pk,
        "incident_reference": incident.reference,
        "client": incident.client.name,
    }
    if row is None:
        policy = policy_for_incident(incident=incident)
        return EscalationOut(
            **common, policy_id=policy.pk if policy else None, state="pending", level=0, loop=0, run=0,
            next_step_at=None,
        )  # fmt: skip
    return EscalationOut(
        **common, policy_id=row.policy_id, state=row.state, level=row.level, loop=row.loop, run=row.run,
        next_step_at=row.next_step_at,
    )  # fmt: skip


@router.get("/incidents/{incident_id}/escalation", response=EscalationOut)
def get_escalation(request: ApiRequest, incident_id: Id) -> EscalationOut:
    return _escalation(incident_access(actor=request.auth, pk=incident_id))


@router.post("/incidents/{incident_id}/escalate", response=EscalationOut)
def escalate_incident(request: ApiRequest, incident_id: Id, body: EscalateIn) -> EscalationOut:
    incident = _respondable(request, incident_id)
    incident_escalate(incident=incident, level=body.level, by=request.auth)
    return _escalation(incident)


@router.post("/incidents/{incident_id}/reassign", response=EscalationOut)
def reassign_incident(request: ApiRequest, incident_id: Id, body: ReassignIn) -> EscalationOut:
    incident = _respondable(request, incident_id)
    to = selectors.reassign_candidate(incident=incident, user_id=body.user)
    incident_reassign(incident=incident, to=to, by=request.auth)
    return _escalation(incident)
