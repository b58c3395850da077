"""Admin for alert intake: integrations, event rules and maintenance windows (editable, audited,
checked by the same rules as the services), and the inbox and alerts (read-only records)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import ForeignKey, QuerySet
from django.http import HttpRequest

from watchkeeper.alerts.models import Alert, EventRule, InboxEvent, Integration, MaintenanceWindow
from watchkeeper.alerts.services.rules import event_rule_clean, maintenance_window_clean
from watchkeeper.core.errors import InvalidInput
from watchkeeper.tenancy import access
from watchkeeper.tenancy.admin import ClientOwnedAdmin, admin_site
from watchkeeper.tenancy.http import signed_in_user
from watchkeeper.tenancy.models import Service


class _ScopedChoices(ClientOwnedAdmin):
    """Offers only services and integrations of clients the signed-in person may see."""

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> Any:
        if db_field.related_model is Service:
            kwargs["queryset"] = access.scope(
                Service.objects.select_related("client"), signed_in_user(request)
            )
        elif db_field.related_model is Integration:
            kwargs["queryset"] = access.scope(
                Integration.objects.select_related("client"), signed_in_user(request)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class _ReadOnly:
    """Records written by intake: visible for diagnosis, changed only by the engine."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _same_client(form: forms.ModelForm, *names: str) -> None:
    client = form.cleaned_data.get("client")
    for name in names:
        related = form.cleaned_data.get(name)
        if client is not None and related is not None and related.client_id != client.pk:
            form.add_error(name, f"Choose one of {client.name}'s own.")


class IntegrationForm(forms.ModelForm):
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _same_client(self, "default_service")
        return data


@admin.register(Integration, site=admin_site)
class IntegrationAdmin(_ScopedChoices):
    form = IntegrationForm
    list_display = ["name", "client", "type", "default_service", "is_enabled", "last_event_at"]
    list_filter = [("client", admin.RelatedOnlyFieldListFilter), "type", "is_enabled"]
    search_fields = ["name"]
    list_select_related = ["client", "default_service"]
    # Keys are shown (admins copy them into senders) but changed only by rotation.
    readonly_fields = ["key", "previous_key", "previous_key_expires_at", "last_event_at"]
    exclude = ["key_hash", "key_encrypted", "previous_key_hash", "previous_key_encrypted"]


class EventRuleForm(forms.ModelForm):
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _same_client(self, "integration")
        client = data.get("client")
        if client is not None and not self.errors:
            try:
                data["actions"] = event_rule_clean(
                    client=client,
                    integration=data.get("integration"),
                    conditions=data.get("conditions", []),
                    actions=data.get("actions", {}),
                )
            except InvalidInput as exc:
                self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return data


@admin.register(EventRule, site=admin_site)
class EventRuleAdmin(_ScopedChoices):
    form = EventRuleForm
    list_display = ["name", "client", "position", "integration", "is_enabled", "dropped_count"]
    list_editable = ["position", "is_enabled"]
    list_select_related = ["client", "integration"]
    search_fields = ["name"]
    readonly_fields = ["dropped_count", "last_dropped_at"]
    ordering = ["client__name", "position", "id"]


class MaintenanceWindowForm(forms.ModelForm):
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _same_client(self, "service")
        if not self.errors:
            window = self.instance
            for name in ("client", "service", "name", "starts_at", "ends_at", "timezone", "recurrence"):
                setattr(window, name, data.get(name))
            window.reason = data.get("reason") or ""
            try:
                maintenance_window_clean(window=window)
            except InvalidInput as exc:
                self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return data


@admin.register(MaintenanceWindow, site=admin_site)
class MaintenanceWindowAdmin(_ScopedChoices):
    form = MaintenanceWindowForm
    list_display = ["name", "client", "service", "starts_at", "ends_at", "timezone", "recurrence"]
    list_select_related = ["client", "service"]
    search_fields = ["name"]


@admin.register(InboxEvent, site=admin_site)
class InboxEventAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ["id", "integration", "kind", "status", "received_at", "attempts", "processed_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["integration__client"]
    readonly_fields = [
        "integration", "kind", "payload", "dedup_key", "received_at", "status", "attempts",
        "processed_at", "error",
    ]  # fmt: skip

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return admin_site.has_permission(request)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return admin_site.has_permission(request)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)
        return access.scope(qs, signed_in_user(request), field="integration__client")


@admin.register(Alert, site=admin_site)
class AlertAdmin(_ReadOnly, ClientOwnedAdmin):
    list_display = [
        "summary", "client", "service", "severity", "status", "suppressed", "occurrence_count",
        "last_seen_at",
    ]  # fmt: skip
    list_filter = [("client", admin.RelatedOnlyFieldListFilter), "status", "severity", "suppressed"]
    list_select_related = ["client", "service"]
    search_fields = ["summary", "dedup_key"]
