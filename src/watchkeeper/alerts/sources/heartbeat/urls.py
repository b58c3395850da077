"""The heartbeat check-in: the integration key is in the URL."""

from django.urls import path

from watchkeeper.alerts.sources.heartbeat import views

urlpatterns = [
    path("integrations/heartbeat/<str:key>", views.checkin, name="heartbeat"),
]
