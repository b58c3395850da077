"""Engine state in the admin, read-only: which engines run and how the periodic jobs fare."""

from __future__ import annotations

from django.contrib import admin

from watchkeeper.accounts.admin import ReadOnlyAdmin, admin_site
from watchkeeper.engine.models import EngineProcess, PeriodicJob


@admin.register(EngineProcess, site=admin_site)
class EngineProcessAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "started_at", "last_cycle_at", "cycles", "last_cycle_seconds", "stopped_at"]


@admin.register(PeriodicJob, site=admin_site)
class PeriodicJobAdmin(ReadOnlyAdmin):
    list_display = ["name", "next_due_at", "last_finished_at", "runs", "failures", "last_result"]
