"""Opsgenie's Alert API endpoints, at the paths its clients expect."""

from django.urls import path

from watchkeeper.alerts.sources.opsgenie import views

urlpatterns = [
    path("v2/alerts", views.create, name="opsgenie"),
    path("v2/alerts/requests/<str:request_id>", views.request_status, name="opsgenie_request"),
    # <path:…> so that an alias holding "/" (sent as %2F) still reaches its alert.
    path("v2/alerts/<path:identifier>/acknowledge", views.acknowledge, name="opsgenie_acknowledge"),
    path("v2/alerts/<path:identifier>/close", views.close, name="opsgenie_close"),
]
