"""Console pages for incidents."""

from django.urls import path

from watchkeeper.incidents import views, views_team

app_name = "incidents"

urlpatterns = [
    path("", views.incident_list_page, name="list"),
    path("new", views.incident_new, name="new"),
    path("<int:incident_id>/", views.incident_page, name="detail"),
    path("<int:incident_id>/acknowledge", views.incident_acknowledge, name="acknowledge"),
    path("<int:incident_id>/resolve", views.incident_resolve, name="resolve"),
    path("<int:incident_id>/reopen", views.incident_reopen, name="reopen"),
    path("<int:incident_id>/close", views.incident_close, name="close"),
    path("<int:incident_id>/notes", views.incident_note, name="note"),
    path("<int:incident_id>/priority", views.incident_priority, name="priority"),
    path("<int:incident_id>/assign", views.incident_assign, name="assign"),
    path("bulk", views.incident_bulk, name="bulk"),
    path("<int:incident_id>/hand-off", views_team.incident_hand_off, name="hand_off"),
    path("<int:incident_id>/category", views_team.incident_category, name="category"),
    path("<int:incident_id>/responders", views_team.incident_responder_add, name="responder_add"),
    path(
        "<int:incident_id>/responders/remove", views_team.incident_responder_remove, name="responder_remove"
    ),
    path("<int:incident_id>/merge", views_team.incident_merge, name="merge"),
    path("<int:incident_id>/wait", views.incident_wait, name="wait"),
    path("<int:incident_id>/resume", views.incident_resume, name="resume"),
]
