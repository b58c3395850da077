"""The generic JSON webhook: the integration key is in the URL."""

from django.urls import path

from watchkeeper.alerts.sources.webhook import views

urlpatterns = [
    path("integrations/webhook/<str:key>", views.receive, name="webhook"),
]
