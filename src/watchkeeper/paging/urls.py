"""Console pages of paging."""

from django.urls import path

from watchkeeper.paging.views import pages, policies

app_name = "paging"

_LEVEL = "policies/<int:policy_id>/levels/<int:level_id>"

urlpatterns = [
    path("policies/", policies.policy_list_page, name="policies"),
    path("policies/new", policies.policy_new, name="policy_new"),
    path("policies/<int:policy_id>/", policies.policy_page, name="policy"),
    path("policies/<int:policy_id>/settings", policies.policy_settings, name="policy_settings"),
    path("policies/<int:policy_id>/default", policies.policy_default, name="policy_default"),
    path("policies/<int:policy_id>/delete", policies.policy_delete, name="policy_delete"),
    path("policies/<int:policy_id>/levels/", policies.level_add, name="level_add"),
    path(f"{_LEVEL}/delay", policies.level_delay, name="level_delay"),
    path(f"{_LEVEL}/move", policies.level_move, name="level_move"),
    path(f"{_LEVEL}/remove", policies.level_remove, name="level_remove"),
    path(f"{_LEVEL}/targets/", policies.target_add, name="target_add"),
    path(f"{_LEVEL}/targets/<int:target_id>/remove", policies.target_remove, name="target_remove"),
    path("policies/<int:policy_id>/services/", policies.service_add, name="service_add"),
    path(
        "policies/<int:policy_id>/services/<int:service_id>/remove",
        policies.service_remove,
        name="service_remove",
    ),
    path("notifications/", pages.notification_log, name="log"),
    path("contact-methods/", pages.contact_method_add, name="contact_method_add"),
    path("contact-methods/<int:method_id>/delete", pages.contact_method_delete, name="contact_method_delete"),
    path("contact-methods/<int:method_id>/test", pages.contact_method_test, name="contact_method_test"),
    path("rules/", pages.rule_add, name="rule_add"),
    path("rules/<int:rule_id>/delete", pages.rule_delete, name="rule_delete"),
    path("incidents/<int:incident_id>/escalate", pages.escalate, name="escalate"),
    path("incidents/<int:incident_id>/reassign", pages.reassign, name="reassign"),
    path("respond/<str:token>/", pages.respond, name="respond"),
]
