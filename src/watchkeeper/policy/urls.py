from django.urls import path

from watchkeeper.policy import views

app_name = "policy"

urlpatterns = [
    path("", views.policy_page, name="page"),
    path("export.yaml", views.policy_export, name="export"),
    path("import", views.policy_import, name="import"),
]
