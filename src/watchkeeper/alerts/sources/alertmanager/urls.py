"""The Alertmanager receiver: the integration key is in the URL."""

from django.urls import path

from watchkeeper.alerts.sources.alertmanager import views

urlpatterns = [
    path("integrations/alertmanager/<str:key>", views.receive, name="alertmanager"),
]
