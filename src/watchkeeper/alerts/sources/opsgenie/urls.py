"""Opsgenie's Alert API endpoints, at the paths its clients expect.

The fixed paths and the suffixed ones come before `v2/alerts/<identifier>`, which would take
them all: an alias may hold "/" (sent as %2F, decoded before routing), hence <path:…>.
"""

from django.urls import path, re_path

from watchkeeper.alerts.sources.opsgenie import views

# Opsgenie alert operations this server does not offer: answered 422 in Opsgenie's shape.
_UNSUPPORTED = "|".join(
    ("snooze", "unacknowledge", "responders", "teams", "message", "description", r"attachments(?:/.*)?",
     "logs", "recipients", "actions/.+")
)  # fmt: skip

urlpatterns = [
    path("v2/alerts", views.alerts, name="opsgenie"),
    path("v2/alerts/count", views.count, name="opsgenie_count"),
    path("v2/alerts/requests/<str:request_id>", views.request_status, name="opsgenie_request"),
    re_path(r"^v2/alerts/saved-searches(?:/.*)?$", views.unsupported, name="opsgenie_saved_searches"),
    path("v2/alerts/<path:identifier>/acknowledge", views.acknowledge, name="opsgenie_acknowledge"),
    path("v2/alerts/<path:identifier>/close", views.close, name="opsgenie_close"),
    path("v2/alerts/<path:identifier>/notes", views.notes, name="opsgenie_notes"),
    path("v2/alerts/<path:identifier>/tags", views.tags, name="opsgenie_tags"),
    path("v2/alerts/<path:identifier>/details", views.details, name="opsgenie_details"),
    path("v2/alerts/<path:identifier>/priority", views.priority, name="opsgenie_priority"),
    path("v2/alerts/<path:identifier>/assign", views.assign, name="opsgenie_assign"),
    path("v2/alerts/<path:identifier>/escalate", views.escalate, name="opsgenie_escalate"),
    re_path(
        rf"^v2/alerts/(?P<rest>.+)/(?P<operation>{_UNSUPPORTED})$",
        views.unsupported,
        name="opsgenie_unsupported",
    ),
    path("v2/alerts/<path:identifier>", views.alert, name="opsgenie_alert"),
    # Last, and after PagerDuty's /v2/enqueue (the registry includes PagerDuty first).
    re_path(r"^v2/(?P<rest>.*)$", views.unknown, name="opsgenie_unknown"),
]
