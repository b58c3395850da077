"""Writes for clients, sites, services and contacts. Each checks access and audits."""

from __future__ import annotations

import re
import zoneinfo
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction

from watchkeeper.accounts.models import Team
from watchkeeper.audit.services import audit_record, snapshot
from watchkeeper.core.errors import InvalidInput
from watchkeeper.tenancy import access
from watchkeeper.tenancy.models import (
    Client,
    Contact,
    ContactChannel,
    ContractTier,
    Criticality,
    Service,
    ServiceKind,
    Site,
)

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$")


def _timezone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"Unknown time zone '{value}'. Use an IANA name such as Europe/London.", field="timezone"
        ) from None
    return value


def _choice(value: str, choices: type[models.TextChoices], field: str) -> str:
    if value not in choices.values:
        raise InvalidInput(
            f"{field} must be one of: {', '.join(choices.values)} (got '{value}').", field=field
        )
    return value


def _email(value: str) -> str:
    value = value.strip().lower()
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise InvalidInput(f"'{value}' is not a valid e-mail address.", field="email") from None
    return value


def _apply(obj: models.Model, changes: dict[str, Any]) -> list[str]:
    for name, value in changes.items():
        setattr(obj, name, value)
    return list(changes)


def _save(
    obj: Any, *, actor: Any, action: str, before: dict[str, Any] | None, fields: list[str] | None, via: str
) -> None:
    """Save inside the caller's transaction; a unique clash becomes a clear 400."""
    try:
        with transaction.atomic():
            if fields is None:
                obj.save()
            else:
                obj.save(update_fields=obj.touch_fields(*fields))
    except IntegrityError:
        raise InvalidInput(
            f"A {obj._meta.verbose_name} named '{obj}' already exists here.", field="name"
        ) from None
    audit_record(actor=actor, action=action, obj=obj, before=before, after=snapshot(obj), via=via)


# --- clients -----------------------------------------------------------------------------

_CLIENT_FIELDS = ("name", "timezone", "country", "region", "contract_tier", "seats", "is_active", "notes")


def _client_values(data: dict[str, Any]) -> dict[str, Any]:
    values = {key: data[key] for key in _CLIENT_FIELDS if key in data and data[key] is not None}
    if "name" in values and not str(values["name"]).strip():
        raise InvalidInput("A client needs a name.", field="name")
    if "timezone" in values:
        _timezone(values["timezone"])
    if "contract_tier" in values:
        _choice(values["contract_tier"], ContractTier, "contract_tier")
    if "country" in values:
        values["country"] = str(values["country"]).upper()
        if values["country"] and not re.fullmatch(r"[A-Z]{2}", values["country"]):
            raise InvalidInput("country must be a two-letter ISO code such as GB or US.", field="country")
    return values


def client_create(*, actor: Any, name: str, slug: str, via: str = "console", **data: Any) -> Client:
    if not isinstance(actor, str):
        access.require(actor, "clients.create")
    slug = slug.strip().lower()
    if not _SLUG.match(slug):
        raise InvalidInput(
            "The slug needs 3–40 lower-case letters, digits or hyphens, e.g. 'acme'.", field="slug"
        )
    if Client.objects.filter(slug=slug).exists():
        raise InvalidInput(f"A client with slug '{slug}' already exists.", field="slug")
    client = Client(slug=slug, **_client_values({"name": name, **data}))
    with transaction.atomic():
        _save(client, actor=actor, action="client.create", before=None, fields=None, via=via)
    return client


def client_update(*, actor: Any, client: Client, via: str = "console", **data: Any) -> Client:
    access.require(actor, "client.edit", client=client)
    values = _client_values(data)
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=client.pk)
        before = snapshot(client)
        fields = _apply(client, values)
        _save(client, actor=actor, action="client.update", before=before, fields=fields, via=via)
    return client


# --- sites and services ------------------------------------------------------------------


def site_create(*, actor: Any, client: Client, name: str, via: str = "console", **data: Any) -> Site:
    if not isinstance(actor, str):
        access.require(actor, "sites.manage", client=client)
    if data.get("timezone"):
        _timezone(data["timezone"])
    site = Site(client=client, name=name.strip(), **data)
    with transaction.atomic():
        _save(site, actor=actor, action="site.create", before=None, fields=None, via=via)
    return site


def _service_values(client: Client, data: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in ("name", "description", "is_active"):
        if data.get(key) is not None:
            values[key] = data[key]
    if "name" in values and not values["name"].strip():
        raise InvalidInput("A service needs a name.", field="name")
    if data.get("kind") is not None:
        values["kind"] = _choice(data["kind"], ServiceKind, "kind")
    if data.get("criticality") is not None:
        values["criticality"] = _choice(data["criticality"], Criticality, "criticality")
    if "site_id" in data:
        site_id = data["site_id"]
        # The caller has already checked access to `client`; a site must be one of its own.
        site = None if site_id is None else Site.objects.filter(client=client, pk=site_id).first()
        if site_id is not None and site is None:
            raise InvalidInput(f"Unknown site {site_id} for {client.name}.", field="site")
        values["site"] = site
    if "owner_team" in data:
        slug = data["owner_team"]
        team = None if slug is None else Team.objects.filter(slug=slug).first()
        if slug is not None and team is None:
            raise InvalidInput(f"Unknown team '{slug}'.", field="owner_team")
        values["owner_team"] = team
    return values


def service_create(*, actor: Any, client: Client, name: str, via: str = "console", **data: Any) -> Service:
    if not isinstance(actor, str):
        access.require(actor, "services.manage", client=client)
    service = Service(client=client, **_service_values(client, {"name": name, **data}))
    with transaction.atomic():
        _save(service, actor=actor, action="service.create", before=None, fields=None, via=via)
    return service


def service_update(*, actor: Any, service: Service, via: str = "console", **data: Any) -> Service:
    access.require(actor, "services.manage", client=service.client)
    values = _service_values(service.client, data)
    with transaction.atomic():
        service = Service.objects.select_for_update().select_related("client").get(pk=service.pk)
        before = snapshot(service)
        fields = _apply(service, values)
        _save(service, actor=actor, action="service.update", before=before, fields=fields, via=via)
    return service


# --- contacts ----------------------------------------------------------------------------

_CONTACT_FIELDS = (
    "name", "email", "phone", "job_title", "is_primary", "preferred_channel",
    "receives_incident_updates", "receives_major_incidents_only", "receives_reports", "notes",
)  # fmt: skip


def _contact_values(data: dict[str, Any]) -> dict[str, Any]:
    values = {key: data[key] for key in _CONTACT_FIELDS if data.get(key) is not None}
    if "name" in values and not values["name"].strip():
        raise InvalidInput("A contact needs a name.", field="name")
    if "email" in values:
        values["email"] = _email(values["email"])
    if "preferred_channel" in values:
        _choice(values["preferred_channel"], ContactChannel, "preferred_channel")
    return values


def contact_create(*, actor: Any, client: Client, name: str, via: str = "console", **data: Any) -> Contact:
    if not isinstance(actor, str):
        access.require(actor, "contacts.manage", client=client)
    contact = Contact(client=client, **_contact_values({"name": name, **data}))
    with transaction.atomic():
        _save(contact, actor=actor, action="contact.create", before=None, fields=None, via=via)
    return contact


def contact_update(*, actor: Any, contact: Contact, via: str = "console", **data: Any) -> Contact:
    access.require(actor, "contacts.manage", client=contact.client)
    values = _contact_values(data)
    with transaction.atomic():
        contact = Contact.objects.select_for_update().select_related("client").get(pk=contact.pk)
        before = snapshot(contact)
        fields = _apply(contact, values)
        _save(contact, actor=actor, action="contact.update", before=before, fields=fields, via=via)
    return contact
