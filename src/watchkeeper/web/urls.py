from django.urls import path

from watchkeeper.tenancy import views as tenancy_views
from watchkeeper.web import ops

app_name = "web"

urlpatterns = [
    path("", tenancy_views.home, name="home"),
    path("healthz", ops.healthz, name="healthz"),
    path("readyz", ops.readyz, name="readyz"),
    path("metrics", ops.metrics, name="metrics"),
]
