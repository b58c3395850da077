"""Admin for clients and what they own (managers may change these)."""

from __future__ import annotations

from django.contrib import admin

from watchkeeper.accounts.admin import AuditedAdmin, admin_site
from watchkeeper.tenancy.models import Client, Contact, Service, Site


class ClientOwnedAdmin(AuditedAdmin):
    manager_can_change = True
    list_select_related = ["client"]
    list_filter = ["client"]


@admin.register(Client, site=admin_site)
class ClientAdmin(AuditedAdmin):
    manager_can_change = True
    list_display = ["name", "slug", "contract_tier", "timezone", "country", "seats", "is_active"]
    list_filter = ["contract_tier", "is_active", "country"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Site, site=admin_site)
class SiteAdmin(ClientOwnedAdmin):
    list_display = ["name", "client", "timezone"]
    search_fields = ["name"]


@admin.register(Service, site=admin_site)
class ServiceAdmin(ClientOwnedAdmin):
    list_display = ["name", "client", "kind", "criticality", "owner_team", "is_active"]
    list_filter = ["client", "kind", "criticality", "is_active"]
    search_fields = ["name"]
    list_select_related = ["client", "owner_team"]


@admin.register(Contact, site=admin_site)
class ContactAdmin(ClientOwnedAdmin):
    list_display = ["name", "client", "email", "phone", "is_primary", "preferred_channel"]
    search_fields = ["name", "email"]
