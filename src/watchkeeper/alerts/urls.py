"""Console pages of alert intake (the ingest endpoints are in urls_ingest.py)."""

from django.urls import path

from watchkeeper.alerts.views import console

app_name = "alerts"

urlpatterns = [
    path("integrations/", console.integration_list_page, name="integrations"),
    path("integrations/new", console.integration_new, name="integration_new"),
    path("integrations/<int:integration_id>/", console.integration_page, name="integration"),
    path(
        "integrations/<int:integration_id>/rotate-key", console.integration_rotate, name="integration_rotate"
    ),
    path(
        "integrations/<int:integration_id>/enabled", console.integration_enabled, name="integration_enabled"
    ),
    path(
        "integrations/<int:integration_id>/preview", console.integration_preview, name="integration_preview"
    ),
    path("alerts/", console.alert_list_page, name="list"),
    path("alerts/<int:alert_id>/", console.alert_page, name="detail"),
]
