"""Console pages for client communication."""

from django.urls import path

from watchkeeper.comms import views

app_name = "comms"

urlpatterns = [
    path("", views.comms_page, name="page"),
    path("policies/new", views.policy_save, name="policy_new"),
    path("policies/<int:policy_id>", views.policy_save, name="policy_save"),
    path("templates/<slug:kind>/", views.template_page, name="template"),
    path("incidents/<int:incident_id>/update/", views.compose_page, name="compose"),
    path("leadership/", views.leadership_page, name="leadership"),
    path("contacts/<int:contact_id>/roles", views.contact_roles, name="contact_roles"),
]
