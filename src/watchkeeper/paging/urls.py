"""Console pages of paging."""

from django.urls import path

from watchkeeper.paging import views

app_name = "paging"

urlpatterns = [
    path("policies/", views.policy_list_page, name="policies"),
    path("policies/<int:policy_id>/", views.policy_page, name="policy"),
    path("notifications/", views.notification_log, name="log"),
    path("contact-methods/", views.contact_method_add, name="contact_method_add"),
    path("contact-methods/<int:method_id>/delete", views.contact_method_delete, name="contact_method_delete"),
    path("contact-methods/<int:method_id>/test", views.contact_method_test, name="contact_method_test"),
    path("rules/", views.rule_add, name="rule_add"),
    path("rules/<int:rule_id>/delete", views.rule_delete, name="rule_delete"),
    path("incidents/<int:incident_id>/escalate", views.escalate, name="escalate"),
    path("incidents/<int:incident_id>/reassign", views.reassign, name="reassign"),
    path("respond/<str:token>/", views.respond, name="respond"),
]
