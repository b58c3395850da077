"""The audit log in the admin: read-only for everyone."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from watchkeeper.accounts.admin import ReadOnlyAdmin, admin_site
from watchkeeper.audit.models import AuditEntry
from watchkeeper.audit.selectors import audit_list
from watchkeeper.tenancy.http import signed_in_user


@admin.register(AuditEntry, site=admin_site)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_label", "action", "object_type", "object_repr", "via"]
    list_filter = ["action", "via", "object_type"]
    search_fields = ["object_repr", "actor_label"]
    date_hierarchy = "at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEntry]:
        return audit_list(actor=signed_in_user(request))
