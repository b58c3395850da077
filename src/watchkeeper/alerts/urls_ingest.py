"""Ingest endpoints at the paths other tools expect (see DESIGN.md section 7)."""

from django.urls import path

from watchkeeper.alerts.views import pagerduty

app_name = "ingest"

urlpatterns = [
    path("v2/enqueue", pagerduty.enqueue, name="pagerduty"),
    path("v2/change/enqueue", pagerduty.change_enqueue, name="pagerduty_change"),
]
