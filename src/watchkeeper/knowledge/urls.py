"""Console pages of the knowledge base and runbooks, under /kb/."""

from django.urls import path

from watchkeeper.knowledge import views

app_name = "knowledge"

urlpatterns = [
    path("", views.article_list_page, name="list"),
    path("new", views.article_new, name="new"),
    path("<int:article_id>/", views.article_page, name="detail"),
    path("<int:article_id>/edit", views.article_edit, name="edit"),
    path("<int:article_id>/history", views.article_history, name="history"),
    path("<int:article_id>/restore/<int:number>", views.article_restore, name="restore"),
    path("runbooks/", views.runbook_list_page, name="runbooks"),
    path("runbooks/new", views.runbook_new, name="runbook_new"),
    path("runbooks/<int:runbook_id>/", views.runbook_page, name="runbook"),
    path("runbooks/<int:runbook_id>/edit", views.runbook_edit, name="runbook_edit"),
    path("incidents/<int:incident_id>/runbooks", views.runbook_start, name="runbook_start"),
    path("runbook-runs/<int:run_id>/tick", views.runbook_tick, name="runbook_tick"),
    path(
        "incidents/<int:incident_id>/save-as-runbook",
        views.runbook_from_incident,
        name="runbook_from_incident",
    ),
]
