"""Writing audit entries. Callers record inside the transaction of the change itself."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

from django.db import models

from watchkeeper.audit.models import AuditEntry
from watchkeeper.tenancy.models import Client

# Never copied into an audit entry, nor any field whose name ends in "_encrypted".
_SECRET_FIELDS = frozenset(
    {"password", "digest", "key", "previous_key", "key_hash", "previous_key_hash", "secret", "token"}
)


def snapshot(obj: models.Model) -> dict[str, Any]:
    """A JSON-safe dict of the object's concrete fields (foreign keys as ids)."""
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in _SECRET_FIELDS or field.name.endswith("_encrypted"):
            continue
        data[field.attname] = _jsonable(getattr(obj, field.attname))
    return data


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return value


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: str = "",
    object_repr: str = "",
    client_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    via: str = "console",
) -> AuditEntry:
    """Append one entry. `actor` is a User, an access Actor, or a label such as "cli"."""
    user = getattr(actor, "user", actor)
    if isinstance(user, str) or user is None:
        actor_user, actor_label = None, str(user or "system")
    else:
        actor_user, actor_label = user, user.email
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
        if client_id is None:
            # A client's own entries belong to that client, so its staff can see them.
            client_id = obj.pk if isinstance(obj, Client) else getattr(obj, "client_id", None)
    return AuditEntry.objects.create(
        actor=actor_user,
        actor_label=actor_label,
        action=action,
        object_type=object_type or "",
        object_id=object_id,
        object_repr=object_repr,
        client_id=client_id,
        before=before,
        after=after,
        via=via,
    )
