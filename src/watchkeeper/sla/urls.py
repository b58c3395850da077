"""Console pages for SLA policies, calendars and reports."""

from django.urls import path

from watchkeeper.sla import views

app_name = "sla"

urlpatterns = [
    path("", views.sla_page, name="page"),
    path("policies/new", views.policy_new, name="policy_new"),
    path("policies/<int:policy_id>/targets", views.policy_targets, name="policy_targets"),
    path("calendars/new", views.calendar_save, name="calendar_new"),
    path("calendars/<int:calendar_id>", views.calendar_save, name="calendar_save"),
    path("calendars/<int:calendar_id>/closures", views.calendar_closures, name="calendar_closures"),
    path("reports/", views.reports_page, name="reports"),
    path("reports/<slug:slug>/", views.report_page, name="report"),
    path("reports/<slug:slug>/csv", views.report_csv_download, name="report_csv"),
    path("reports/<slug:slug>/pdf", views.report_pdf_download, name="report_pdf"),
    path("breaches/<int:breach_id>/reason", views.breach_reason, name="breach_reason"),
]
