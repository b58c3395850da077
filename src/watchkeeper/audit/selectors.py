"""Reading the audit log (MSP owners, admins and managers only)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from watchkeeper.audit.models import AuditEntry
from watchkeeper.tenancy import access


def audit_list(*, actor: access.ActorLike, query: str = "", object_type: str = "") -> QuerySet[AuditEntry]:
    access.require(actor, "audit.view")
    qs = AuditEntry.objects.all()
    if not access.sees_every_client(actor):
        qs = qs.filter(Q(client__isnull=True) | Q(client_id__in=access.visible_clients(actor).values("pk")))
    if object_type:
        qs = qs.filter(object_type=object_type)
    if query:
        qs = qs.filter(Q(object_repr__icontains=query) | Q(actor_label__icontains=query) | Q(action=query))
    return qs
