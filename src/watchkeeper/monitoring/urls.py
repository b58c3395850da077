"""Console pages of active monitoring."""

from django.urls import path

from watchkeeper.monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("", views.monitor_list_page, name="list"),
    path("new", views.monitor_new, name="new"),
    path("<int:monitor_id>/", views.monitor_page, name="detail"),
    path("<int:monitor_id>/edit", views.monitor_edit, name="edit"),
    path("<int:monitor_id>/test", views.monitor_test, name="test"),
    path("<int:monitor_id>/toggle", views.monitor_toggle, name="toggle"),
    path("<int:monitor_id>/delete", views.monitor_delete, name="delete"),
    path("networks/<slug:slug>", views.networks_page, name="networks"),
]
