"""PagerDuty's endpoints, at the paths its clients expect."""

from django.urls import path

from watchkeeper.alerts.sources.pagerduty import views
from watchkeeper.alerts.views.common import RawHandler

urlpatterns = [
    path("v2/enqueue", views.enqueue, name="pagerduty"),
    path("v2/change/enqueue", views.change_enqueue, name="pagerduty_change"),
]

# The busiest endpoint skips Django's request and response (views/common.py, `ingest_fast_path`).
raw_routes: dict[str, RawHandler] = {
    "/v2/enqueue": lambda length, read: views.pagerduty_answer(length, read, kind="pagerduty"),
    "/v2/change/enqueue": lambda length, read: views.pagerduty_answer(length, read, kind="pagerduty_change"),
}
