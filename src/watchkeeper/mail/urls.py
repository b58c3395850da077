"""The console page of outgoing mail (MSP owners and admins)."""

from django.urls import path

from watchkeeper.mail import views

app_name = "mail"

urlpatterns = [
    path("", views.mail_settings_page, name="settings"),
    path("test", views.mail_test, name="test"),
]
