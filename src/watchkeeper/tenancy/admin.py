"""Admin for clients and what they own (managers may change these)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import ForeignKey, QuerySet
from django.http import HttpRequest

from watchkeeper.accounts.admin import AuditedAdmin, admin_site
from watchkeeper.tenancy import access
from watchkeeper.tenancy.http import signed_in_user
from watchkeeper.tenancy.models import Client, Contact, Service, Site


class ClientOwnedAdmin(AuditedAdmin):
    """Managers restricted to some clients see and pick only those clients' rows."""

    manager_can_change = True
    list_select_related = ["client"]
    list_filter = [("client", admin.RelatedOnlyFieldListFilter)]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return access.scope(super().get_queryset(request), signed_in_user(request))

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> Any:
        if db_field.name == "client":
            kwargs["queryset"] = access.visible_clients(signed_in_user(request))
        elif db_field.name == "site":
            kwargs["queryset"] = access.scope(Site.objects.all(), signed_in_user(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Client, site=admin_site)
class ClientAdmin(AuditedAdmin):
    manager_can_change = True
    list_display = ["name", "slug", "contract_tier", "timezone", "country", "seats", "is_active"]
    list_filter = ["contract_tier", "is_active", "country"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return access.visible_clients(signed_in_user(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return access.can(signed_in_user(request), "clients.create")


@admin.register(Site, site=admin_site)
class SiteAdmin(ClientOwnedAdmin):
    list_display = ["name", "client", "timezone"]
    search_fields = ["name"]


@admin.register(Service, site=admin_site)
class ServiceAdmin(ClientOwnedAdmin):
    list_display = ["name", "client", "kind", "criticality", "owner_team", "is_active"]
    list_filter = [("client", admin.RelatedOnlyFieldListFilter), "kind", "criticality", "is_active"]
    search_fields = ["name"]
    list_select_related = ["client", "owner_team"]


@admin.register(Contact, site=admin_site)
class ContactAdmin(ClientOwnedAdmin):
    list_display = ["name", "client", "email", "phone", "is_primary", "preferred_channel"]
    search_fields = ["name", "email"]
