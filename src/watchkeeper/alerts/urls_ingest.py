"""Ingest endpoints at the paths other tools expect (see DESIGN.md section 7)."""

from django.urls import path

from watchkeeper.alerts.views import alertmanager, heartbeat, opsgenie, pagerduty, webhook

app_name = "ingest"

urlpatterns = [
    path("v2/enqueue", pagerduty.enqueue, name="pagerduty"),
    path("v2/change/enqueue", pagerduty.change_enqueue, name="pagerduty_change"),
    path("v2/alerts", opsgenie.create, name="opsgenie"),
    path("v2/alerts/requests/<str:request_id>", opsgenie.request_status, name="opsgenie_request"),
    # <path:…> so that an alias holding "/" (sent as %2F) still reaches its alert.
    path("v2/alerts/<path:identifier>/acknowledge", opsgenie.acknowledge, name="opsgenie_acknowledge"),
    path("v2/alerts/<path:identifier>/close", opsgenie.close, name="opsgenie_close"),
    path("integrations/alertmanager/<str:key>", alertmanager.receive, name="alertmanager"),
    path("integrations/webhook/<str:key>", webhook.receive, name="webhook"),
    path("integrations/heartbeat/<str:key>", heartbeat.checkin, name="heartbeat"),
]
