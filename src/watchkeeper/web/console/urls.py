"""The console's incident pages, under /incidents/ (namespace `incidents`, as before the move)."""

from django.urls import path

from watchkeeper.web.console import incident, incident_team, queue

app_name = "incidents"

urlpatterns = [
    path("", queue.incident_list_page, name="list"),
    path("new", queue.incident_new, name="new"),
    path("<int:incident_id>/", incident.incident_page, name="detail"),
    path("<int:incident_id>/acknowledge", incident.incident_acknowledge, name="acknowledge"),
    path("<int:incident_id>/resolve", incident.incident_resolve, name="resolve"),
    path("<int:incident_id>/reopen", incident.incident_reopen, name="reopen"),
    path("<int:incident_id>/close", incident.incident_close, name="close"),
    path("<int:incident_id>/notes", incident.incident_note, name="note"),
    path("<int:incident_id>/priority", incident.incident_priority, name="priority"),
    path("<int:incident_id>/assign", incident.incident_assign, name="assign"),
    path("bulk", queue.incident_bulk, name="bulk"),
    path("<int:incident_id>/hand-off", incident_team.incident_hand_off, name="hand_off"),
    path("<int:incident_id>/category", incident_team.incident_category, name="category"),
    path("<int:incident_id>/responders", incident_team.incident_responder_add, name="responder_add"),
    path(
        "<int:incident_id>/responders/remove",
        incident_team.incident_responder_remove,
        name="responder_remove",
    ),
    path("<int:incident_id>/merge", incident_team.incident_merge, name="merge"),
    path("<int:incident_id>/wait", incident.incident_wait, name="wait"),
    path("<int:incident_id>/resume", incident.incident_resume, name="resume"),
]
