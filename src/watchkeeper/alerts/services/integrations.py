"""Creating, rotating and switching integrations."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction

from watchkeeper.alerts.models import Integration
from watchkeeper.alerts.models.integrations import new_key
from watchkeeper.alerts.sources.registry import KINDS, config_problems
from watchkeeper.audit.services import audit_record, snapshot
from watchkeeper.core import clock
from watchkeeper.core.errors import InvalidInput
from watchkeeper.tenancy import access
from watchkeeper.tenancy.models import Client, Service

DEFAULT_GRACE = dt.timedelta(hours=24)


def integration_create(
    *,
    actor: Any,
    client: Client,
    type: str,
    name: str,
    service: Service | None = None,
    config: dict[str, Any] | None = None,
    via: str = "console",
) -> Integration:
    if not isinstance(actor, str):
        access.require(actor, "services.manage", client=client)
    if type not in KINDS:
        raise InvalidInput(f"Unknown integration type '{type}'. Choose one of: {', '.join(KINDS)}.")
    if not name.strip():
        raise InvalidInput("An integration needs a name.", field="name")
    _config_check(type, config or {})
    if service is None:
        service = Service.objects.filter(client=client).order_by("pk").first()
        if service is None:
            raise InvalidInput(f"{client.name} has no services yet: create one for the integration to feed.")
    elif service.client_id != client.pk:
        raise InvalidInput(f"Unknown service for {client.name}.", field="service")
    integration = Integration(
        client=client, type=type, name=name.strip(), default_service=service, config=config or {}
    )
    try:
        with transaction.atomic():
            integration.save()
            audit_record(
                actor=actor,
                action="integration.create",
                obj=integration,
                after=snapshot(integration),
                via=via,
            )
    except IntegrityError:
        raise InvalidInput(
            f"{client.name} already has an integration named '{name}'.", field="name"
        ) from None
    return integration


def integration_rotate_key(
    *, actor: Any, integration: Integration, grace: dt.timedelta = DEFAULT_GRACE, via: str = "console"
) -> Integration:
    """Issue a new key; the old one keeps working for `grace` so senders can be updated."""
    if not isinstance(actor, str):
        access.require(actor, "services.manage", client=integration.client)
    with transaction.atomic():
        integration = Integration.objects.select_for_update().get(pk=integration.pk)
        integration.previous_key = integration.key
        integration.previous_key_expires_at = clock.now() + grace
        integration.key = new_key()
        fields = ("key_hash", "key_encrypted", "previous_key_hash", "previous_key_encrypted")
        integration.save(update_fields=integration.touch_fields(*fields, "previous_key_expires_at"))
        audit_record(actor=actor, action="integration.rotate_key", obj=integration, via=via)
    return integration


def integration_set_enabled(
    *, actor: Any, integration: Integration, enabled: bool, via: str = "console"
) -> Integration:
    if not isinstance(actor, str):
        access.require(actor, "services.manage", client=integration.client)
    with transaction.atomic():
        integration = Integration.objects.select_for_update().get(pk=integration.pk)
        before = snapshot(integration)
        integration.is_enabled = enabled
        integration.save(update_fields=integration.touch_fields("is_enabled"))
        audit_record(
            actor=actor,
            action="integration.update",
            obj=integration,
            before=before,
            after=snapshot(integration),
            via=via,
        )
    return integration


def _config_check(type: str, config: Any) -> None:
    # The checks are each source's own, so what is saved is what ingest can use (a broken
    # template would otherwise fail every event at processing time).
    if not isinstance(config, dict):
        raise InvalidInput("config must be a JSON object.", field="config")
    problems = config_problems(kind=type, config=config)
    if problems:
        raise InvalidInput("The configuration has problems: " + "; ".join(problems), field="config")


# Settings integration_update may change; None for any of them means "leave as it is".
_UPDATABLE = (
    "name", "is_enabled", "default_service", "group_window_minutes", "rate_limit_per_second",
    "heartbeat_interval_seconds", "heartbeat_grace_seconds", "config",
)  # fmt: skip
_COUNTS = ("group_window_minutes", "rate_limit_per_second", "heartbeat_interval_seconds",
           "heartbeat_grace_seconds")  # fmt: skip


def _update_values(integration: Integration, changes: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(changes) - set(_UPDATABLE))
    if unknown:
        raise InvalidInput(f"These integration settings cannot be changed: {', '.join(unknown)}.")
    values = {key: value for key, value in changes.items() if value is not None}
    if "name" in values:
        values["name"] = str(values["name"]).strip()
        if not values["name"]:
            raise InvalidInput("An integration needs a name.", field="name")
    service = values.get("default_service")
    if service is not None and service.client_id != integration.client_id:
        raise InvalidInput(f"Unknown service for {integration.client.name}.", field="default_service")
    if "config" in values:
        _config_check(integration.type, values["config"])
    for key in _COUNTS:
        if key in values and (not isinstance(values[key], int) or values[key] < 0):
            raise InvalidInput(f"{key} must be a whole number of at least 0.", field=key)
    return values


def integration_update(
    *, actor: Any, integration: Integration, via: str = "console", **changes: Any
) -> Integration:
    """Change the given settings (see _UPDATABLE) of an integration, audited."""
    if not isinstance(actor, str):
        access.require(actor, "integrations.manage", client=integration.client)
    values = _update_values(integration, changes)
    client = integration.client
    try:
        with transaction.atomic():
            integration = Integration.objects.select_for_update().get(pk=integration.pk)
            before = snapshot(integration)
            for key, value in values.items():
                setattr(integration, key, value)
            integration.save(update_fields=integration.touch_fields(*values))
            audit_record(
                actor=actor, action="integration.update", obj=integration, before=before,
                after=snapshot(integration), via=via,
            )  # fmt: skip
    except IntegrityError:
        raise InvalidInput(
            f"{client.name} already has an integration named '{values.get('name')}'.", field="name"
        ) from None
    integration.client = client
    return integration
