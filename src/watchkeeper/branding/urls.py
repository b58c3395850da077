"""The branding page (MSP owners and admins) and the logo's public, cacheable URL."""

from django.urls import path

from watchkeeper.branding import views

app_name = "branding"

urlpatterns = [
    path("", views.branding_page, name="settings"),
    path("logo", views.logo_upload, name="logo_upload"),
    path("logo/remove", views.logo_remove, name="logo_remove"),
    # Public: the sign-in page shows it before anyone is known. Only the current logo answers.
    path("logo/<str:file_name>", views.logo_file, name="logo"),
]
