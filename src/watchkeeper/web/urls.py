from django.urls import path

from watchkeeper.web import ops
from watchkeeper.web.console import queue

app_name = "web"

urlpatterns = [
    path("", queue.start, name="home"),  # staff: the queue; portal users: the portal
    path("healthz", ops.healthz, name="healthz"),
    path("readyz", ops.readyz, name="readyz"),
    path("metrics", ops.metrics, name="metrics"),
]
