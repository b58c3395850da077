"""Console pages of alert intake (the ingest endpoints are in urls_ingest.py)."""

from django.urls import path

from watchkeeper.alerts.views import console, rules_console

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
    path("clients/<slug:slug>/rules/", rules_console.rules_page, name="rules"),
    path("clients/<slug:slug>/rules/try", rules_console.rules_try, name="rules_try"),
    path("clients/<slug:slug>/maintenance", rules_console.window_new, name="window_new"),
    path("rules/<int:rule_id>/", rules_console.rule_page, name="rule"),
    path("rules/<int:rule_id>/move", rules_console.rule_move, name="rule_move"),
    path("rules/<int:rule_id>/delete", rules_console.rule_delete, name="rule_delete"),
    path("maintenance/<int:window_id>/delete", rules_console.window_delete, name="window_delete"),
    path("alerts/", console.alert_list_page, name="list"),
    path("alerts/<int:alert_id>/", console.alert_page, name="detail"),
]
