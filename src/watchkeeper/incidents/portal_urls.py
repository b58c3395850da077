"""The client portal's incident pages, under /portal/."""

from django.urls import path

from watchkeeper.incidents import portal_views

app_name = "portal"

urlpatterns = [
    path("incidents/", portal_views.portal_incident_list, name="incidents"),
    path("incidents/new", portal_views.portal_request_new, name="new"),
    path("incidents/<int:incident_id>/", portal_views.portal_incident_page, name="incident"),
    path("incidents/<int:incident_id>/comments", portal_views.portal_incident_comment, name="comment"),
]
