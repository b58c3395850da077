"""Admin for the incident policy: owners and admins edit wording and matrix cells here.

Structural changes (adding or removing levels, priorities, severities or matrix cells)
go through the YAML import, which checks the whole matrix before changing anything;
here those rows can be edited but not added or deleted, and their keys are fixed
because other capabilities refer to them by key.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from watchkeeper.accounts.admin import AuditedAdmin, admin_site
from watchkeeper.policy.models import (
    Category,
    ImpactLevel,
    MatrixCell,
    Policy,
    Priority,
    Section,
    Severity,
    UrgencyLevel,
)
from watchkeeper.policy.storage import POLICY_PK


@admin.register(Policy, site=admin_site)
class PolicyAdmin(AuditedAdmin):
    list_display = ["title", "owner", "version", "last_reviewed", "review_interval_days", "updated_at"]
    readonly_fields = ["updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not Policy.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deleting would take every level and the matrix with it


class _KeyedForm(forms.ModelForm):
    """Checks that a new key is unused: `policy` is not on the form, so Django's own
    constraint validation cannot, and the clash would otherwise be a database error."""

    def clean_key(self) -> str:
        key = str(self.cleaned_data["key"])
        others = self._meta.model._default_manager.filter(policy_id=POLICY_PK, key=key)
        if others.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(f"The key '{key}' is already used.")
        return key


class _PolicyPartAdmin(AuditedAdmin):
    form = _KeyedForm
    list_display = ["name", "key", "position"]
    list_editable = ["position"]
    exclude = ["policy"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if obj.policy_id is None:
            obj.policy_id = POLICY_PK
        super().save_model(request, obj, form, change)


class _FixedPartAdmin(_PolicyPartAdmin):
    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["key"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class _SectionForm(_KeyedForm):
    class Meta:
        labels = {"name": "Title", "description": "Body (Markdown)"}


@admin.register(Section, site=admin_site)
class SectionAdmin(_PolicyPartAdmin):
    form = _SectionForm


@admin.register(Category, site=admin_site)
class CategoryAdmin(_PolicyPartAdmin):
    pass


@admin.register(ImpactLevel, site=admin_site)
class ImpactLevelAdmin(_FixedPartAdmin):
    pass


@admin.register(UrgencyLevel, site=admin_site)
class UrgencyLevelAdmin(_FixedPartAdmin):
    pass


@admin.register(Priority, site=admin_site)
class PriorityAdmin(_FixedPartAdmin):
    pass


@admin.register(Severity, site=admin_site)
class SeverityAdmin(_FixedPartAdmin):
    list_display = ["name", "key", "default_impact", "default_urgency", "position"]
    list_editable = ["default_impact", "default_urgency", "position"]
    list_select_related = ["default_impact", "default_urgency"]


@admin.register(MatrixCell, site=admin_site)
class MatrixCellAdmin(AuditedAdmin):
    list_display = ["impact", "urgency", "priority"]
    list_editable = ["priority"]
    list_display_links = None
    list_select_related = ["impact", "urgency", "priority"]
    ordering = ["impact__position", "urgency__position"]
    fields = ["impact", "urgency", "priority"]
    readonly_fields = ["impact", "urgency"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
