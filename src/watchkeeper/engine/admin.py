"""Engine state in the admin, read-only: which engines run and how the periodic jobs fare."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from watchkeeper.accounts.admin import admin_site
from watchkeeper.engine.models import EngineProcess, PeriodicJob


class ReadOnlyAdmin(admin.ModelAdmin):
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


@admin.register(EngineProcess, site=admin_site)
class EngineProcessAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "started_at", "last_cycle_at", "cycles", "last_cycle_seconds", "stopped_at"]


@admin.register(PeriodicJob, site=admin_site)
class PeriodicJobAdmin(ReadOnlyAdmin):
    list_display = ["name", "next_due_at", "last_finished_at", "runs", "failures", "last_result"]
