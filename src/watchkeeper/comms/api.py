"""REST adapters for communication policies, message templates, contact roles and client
updates. Thin: the access module decides, configuration and services write."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from ninja import Router, Status

from watchkeeper.comms import configuration, selectors, services
from watchkeeper.comms.models import ClientUpdate, CommunicationPolicy, ContactRoles, MessageTemplate
from watchkeeper.comms.schemas import (
    ClientUpdateOut,
    ClientUpdateSendIn,
    CommsPolicyIn,
    CommsPolicyOut,
    CommsPolicyUpdateIn,
    ContactRolesIn,
    ContactRolesOut,
    MessageTemplateIn,
    MessageTemplateOut,
    MessageTemplateUpdateIn,
    TemplatePreviewIn,
    TemplatePreviewOut,
    UpdateRecipientOut,
)
from watchkeeper.core.errors import InvalidInput, NotFound
from watchkeeper.core.pagination import paginated
from watchkeeper.core.schemas import Id
from watchkeeper.incidents.selectors import incident_access
from watchkeeper.tenancy import access
from watchkeeper.tenancy.http import ApiRequest
from watchkeeper.tenancy.models import Contact

router = Router(tags=["communication"])


def _policy(request: ApiRequest, policy_id: int) -> CommunicationPolicy:
    policy = selectors.policy_list_for(actor=request.auth).filter(pk=policy_id).first()
    if policy is None:
        raise NotFound(f"No communication policy {policy_id}.")
    access.require(request.auth, "policy.view")
    return policy


def _template(request: ApiRequest, template_id: int) -> MessageTemplate:
    template = selectors.template_list_for(actor=request.auth).filter(pk=template_id).first()
    if template is None:
        raise NotFound(f"No message template {template_id}.")
    access.require(request.auth, "policy.view")
    return template


@router.get("/communication-policies", response=list[CommsPolicyOut])
@paginated()
def list_policies(request: ApiRequest) -> QuerySet[CommunicationPolicy]:
    access.require(request.auth, "policy.view")
    return selectors.policy_list_for(actor=request.auth)


@router.post("/communication-policies", response={201: CommsPolicyOut})
def create_policy(request: ApiRequest, body: CommsPolicyIn) -> Status[CommunicationPolicy]:
    data: dict[str, Any] = body.dict()
    slug = data.pop("client")
    client = access.client_reference(request.auth, slug) if slug else None
    return Status(201, configuration.policy_save(actor=request.auth, client=client, **data))


@router.get("/communication-policies/{policy_id}", response=CommsPolicyOut)
def get_policy(request: ApiRequest, policy_id: Id) -> CommunicationPolicy:
    return _policy(request, policy_id)


@router.patch("/communication-policies/{policy_id}", response=CommsPolicyOut)
def update_policy(request: ApiRequest, policy_id: Id, body: CommsPolicyUpdateIn) -> CommunicationPolicy:
    policy = _policy(request, policy_id)
    fields = body.dict(exclude_unset=True)
    return configuration.policy_save(actor=request.auth, client=policy.client, policy=policy, **fields)


@router.delete("/communication-policies/{policy_id}", response={204: None})
def delete_policy(request: ApiRequest, policy_id: Id) -> Status[None]:
    configuration.policy_delete(actor=request.auth, policy=_policy(request, policy_id))
    return Status(204, None)


@router.get("/message-templates", response=list[MessageTemplateOut])
@paginated()
def list_templates(request: ApiRequest, client: str | None = None) -> QuerySet[MessageTemplate]:
    target = access.client_access(request.auth, client) if client else None
    access.require(request.auth, "policy.view")
    return selectors.template_list_for(actor=request.auth, client=target)


@router.post("/message-templates", response={201: MessageTemplateOut})
def create_template(request: ApiRequest, body: MessageTemplateIn) -> Status[MessageTemplate]:
    client = access.client_reference(request.auth, body.client) if body.client else None
    template = configuration.template_save(
        actor=request.auth, client=client, kind=body.kind, subject=body.subject, body=body.body
    )
    return Status(201, template)


@router.post("/message-templates/preview", response=TemplatePreviewOut)
def preview_template(request: ApiRequest, body: TemplatePreviewIn) -> dict[str, str]:
    """Render a template before saving it: with a real incident (`incident`), or a sample."""
    access.require(request.auth, "policy.view")
    incident = None
    if body.incident is not None:
        try:
            incident = incident_access(actor=request.auth, pk=body.incident)
        except NotFound as exc:
            raise InvalidInput(f"Unknown incident {body.incident}.", field="incident") from exc
    rendered = configuration.template_check(subject=body.subject, body=body.body, incident=incident)
    return {"subject": rendered.subject, "body": rendered.body}


@router.get("/message-templates/{template_id}", response=MessageTemplateOut)
def get_template(request: ApiRequest, template_id: Id) -> MessageTemplate:
    return _template(request, template_id)


@router.patch("/message-templates/{template_id}", response=MessageTemplateOut)
def update_template(request: ApiRequest, template_id: Id, body: MessageTemplateUpdateIn) -> MessageTemplate:
    template = _template(request, template_id)
    return configuration.template_save(
        actor=request.auth, client=template.client, kind=template.kind, template=template,
        subject=body.subject if body.subject is not None else template.subject,
        body=body.body if body.body is not None else template.body,
    )  # fmt: skip


@router.delete("/message-templates/{template_id}", response={204: None})
def delete_template(request: ApiRequest, template_id: Id) -> Status[None]:
    configuration.template_delete(actor=request.auth, template=_template(request, template_id))
    return Status(204, None)


def _roles_out(contact: Contact, roles: ContactRoles | None) -> dict[str, Any]:
    roles_held = list(roles.roles) if roles else []
    return {"contact": contact.pk, "client": contact.client.slug, "name": contact.name,
            "email": contact.email, "roles": roles_held}  # fmt: skip


@router.get("/contacts/{contact_id}/roles", response=ContactRolesOut, tags=["clients"])
def get_contact_roles(request: ApiRequest, contact_id: Id) -> dict[str, Any]:
    contact = access.object_access(request.auth, Contact.objects.select_related("client"), pk=contact_id)
    access.require(request.auth, "client.view", client=contact.client)
    return _roles_out(contact, ContactRoles.objects.filter(contact=contact).first())


@router.put("/contacts/{contact_id}/roles", response=ContactRolesOut, tags=["clients"])
def set_contact_roles(request: ApiRequest, contact_id: Id, body: ContactRolesIn) -> dict[str, Any]:
    contact = access.object_access(request.auth, Contact.objects.select_related("client"), pk=contact_id)
    row = configuration.contact_roles_set(actor=request.auth, contact=contact, roles=body.roles)
    return _roles_out(contact, row)


@router.get("/client-updates", response=list[ClientUpdateOut])
@paginated()
def list_updates(
    request: ApiRequest, incident: Id | None = None, client: str | None = None
) -> QuerySet[ClientUpdate]:
    """The messages sent to clients about their incidents, newest first, each with its
    deliveries (state, attempts, the server's answer); `incident` or `client` narrows them."""
    updates = selectors.update_list_for(actor=request.auth)
    if incident is not None:
        updates = updates.filter(incident=incident_access(actor=request.auth, pk=incident))
    if client:
        updates = updates.filter(incident__client=access.client_access(request.auth, client))
    return updates


@router.get(
    "/incidents/{incident_id}/client-updates/recipients",
    response=list[UpdateRecipientOut],
    tags=["incidents"],
)
def update_recipients(request: ApiRequest, incident_id: Id) -> list[Any]:
    """Who an update sent now would reach, under the client's policy."""
    incident = incident_access(actor=request.auth, pk=incident_id)
    return list(services.update_preview(incident=incident, actor=request.auth))


@router.post("/incidents/{incident_id}/client-updates", response={201: ClientUpdateOut}, tags=["incidents"])
def send_update(request: ApiRequest, incident_id: Id, body: ClientUpdateSendIn) -> Status[ClientUpdate]:
    """Write a client-visible update and e-mail it to the recipients of the client's policy; it
    restarts the client-update clock."""
    incident = incident_access(actor=request.auth, pk=incident_id)
    update = services.update_send(incident=incident, by=request.auth, **body.dict())
    return Status(201, update)
