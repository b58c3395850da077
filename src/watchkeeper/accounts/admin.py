"""Django admin for configuration, restricted by role and audited.

Owners and admins may change everything; managers may change clients and what they
own and view the rest; nobody else enters the admin. The access module decides each of
these (its "admin.*" actions); this module only asks.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from watchkeeper.accounts.models import ApiToken, SecuritySettings, Team, TeamMembership, User
from watchkeeper.accounts.selectors import user_list
from watchkeeper.audit.services import audit_record, snapshot
from watchkeeper.tenancy import access
from watchkeeper.tenancy.http import signed_in_user


class WatchkeeperAdminSite(admin.AdminSite):
    site_header = "Watchkeeper configuration"
    site_title = "Watchkeeper admin"
    index_title = "Configuration"

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        """The admin has no sign-in of its own: ours applies throttling and two-factor."""
        target = request.GET.get("next") or reverse("admin:index")
        return redirect_to_login(target, reverse("accounts:login"))

    def has_permission(self, request: HttpRequest) -> bool:
        return _may(request, "admin.enter")


admin_site = WatchkeeperAdminSite(name="admin")


def _may(request: HttpRequest, action: str) -> bool:
    """Whether the signed-in person may take the admin `action` (nobody signed in: no)."""
    user = request.user
    return isinstance(user, User) and access.can(user, action)


class AuditedAdmin(admin.ModelAdmin):
    """Every admin write is audited with before/after; managers change only `manager_can_change`."""

    manager_can_change = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return admin_site.has_permission(request)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return admin_site.has_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may(request, "admin.change_by_managers" if self.manager_can_change else "admin.change")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may(request, "admin.delete")

    def save_model(self, request: HttpRequest, obj: models.Model, form: Any, change: bool) -> None:
        before = snapshot(type(obj)._default_manager.get(pk=obj.pk)) if change and obj.pk else None
        with transaction.atomic():
            if hasattr(obj, "touch_fields") and change:
                obj.touch_fields()
            super().save_model(request, obj, form, change)
            action = f"{obj._meta.model_name}.{'update' if change else 'create'}"
            audit_record(
                actor=request.user, action=action, obj=obj, before=before, after=snapshot(obj), via="admin"
            )

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        with transaction.atomic():
            audit_record(
                actor=request.user,
                action=f"{obj._meta.model_name}.delete",
                obj=obj,
                before=snapshot(obj),
                via="admin",
            )
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records people look at but never change here (audit entries, engine state)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return admin_site.has_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return admin_site.has_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TeamMembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(User, site=admin_site)
class UserAdmin(AuditedAdmin):
    list_display = ["email", "full_name", "role", "client", "all_clients", "is_active"]
    list_filter = ["role", "is_active", "all_clients"]
    search_fields = ["email", "full_name"]
    filter_horizontal = ["assigned_clients"]
    fields = [
        "email",
        "full_name",
        "role",
        "client",
        "all_clients",
        "assigned_clients",
        "timezone",
        "phone",
        "is_active",
    ]
    list_select_related = ["client"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return user_list(actor=signed_in_user(request))


@admin.register(Team, site=admin_site)
class TeamAdmin(AuditedAdmin):
    manager_can_change = True
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ("name",)}
    inlines = [TeamMembershipInline]


@admin.register(ApiToken, site=admin_site)
class ApiTokenAdmin(AuditedAdmin):
    list_display = ["name", "prefix", "user", "client", "scopes", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    exclude = ["digest"]
    list_select_related = ["user", "client"]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may(request, "admin.tokens")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _may(request, "admin.tokens")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tokens are created where the secret can be shown once (CLI, account page)


@admin.register(SecuritySettings, site=admin_site)
class SecuritySettingsAdmin(AuditedAdmin):
    list_display = ["__str__", "require_2fa_for_staff", "updated_at"]
    readonly_fields = ["updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not SecuritySettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TOTPDevice, site=admin_site)
class TOTPDeviceAdmin(AuditedAdmin):
    """Owners and admins remove a lost authenticator here so its user can set up a new one."""

    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_select_related = ["user"]
    fields = ["user", "name", "confirmed"]
    readonly_fields = ["user", "name", "confirmed"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # devices are set up by their owner, who must scan the secret
