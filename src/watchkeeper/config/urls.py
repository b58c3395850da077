"""URL map. Every pattern here is visited by tests/isolation/test_matrix.py."""

from django.urls import include, path

from watchkeeper.accounts.admin import admin_site
from watchkeeper.config.api import api, api_not_found

urlpatterns = [
    path("", include("watchkeeper.web.urls")),
    path("", include("watchkeeper.alerts.urls_ingest")),
    path("", include("watchkeeper.tenancy.urls")),
    path("", include("watchkeeper.alerts.urls")),  # integrations/ and alerts/ console pages
    path("incidents/", include("watchkeeper.web.console.urls")),  # the queue and incident pages
    path("", include("watchkeeper.reviews.urls")),  # reviews/, reports/metrics/, portal/summaries/
    path("portal/kb/", include("watchkeeper.knowledge.portal_urls")),  # the portal's articles
    path("portal/", include("watchkeeper.incidents.portal_urls")),  # the portal's incident pages
    path("accounts/", include("watchkeeper.accounts.urls")),
    path("policy/", include("watchkeeper.policy.urls")),
    path("sla/", include("watchkeeper.sla.urls")),
    path("comms/", include("watchkeeper.comms.urls")),
    path("kb/", include("watchkeeper.knowledge.urls")),
    path("audit/", include("watchkeeper.audit.urls")),
    path("oncall/", include("watchkeeper.oncall.urls")),
    path("paging/", include("watchkeeper.paging.urls")),
    path("chat/", include("watchkeeper.chat.urls")),
    path("monitors/", include("watchkeeper.monitoring.urls")),
    path("settings/mail/", include("watchkeeper.mail.urls")),
    path("settings/branding/", include("watchkeeper.branding.urls")),
    path("admin/", admin_site.urls),
    path("api/v1/", api.urls),
    path("api/v1/<path:rest>", api_not_found, name="api-not-found"),
]

handler404 = "watchkeeper.web.errors.not_found"
handler500 = "watchkeeper.web.errors.server_error"
handler403 = "watchkeeper.web.errors.forbidden"
handler400 = "watchkeeper.web.errors.bad_request"
