"""Console pages for reviews, action items and the improvement reports; the portal's summaries."""

from django.urls import path

from watchkeeper.reviews import views

app_name = "reviews"

urlpatterns = [
    path("reviews/", views.review_list_page, name="list"),
    path("reviews/actions/", views.action_list_page, name="actions"),
    path("reviews/<int:review_id>/", views.review_page, name="detail"),
    path("reviews/<int:review_id>/save", views.review_save, name="save"),
    path("reviews/<int:review_id>/complete", views.review_complete, name="complete"),
    path("reviews/<int:review_id>/mark", views.review_mark, name="mark"),
    path("reviews/<int:review_id>/actions", views.action_add, name="action_add"),
    path("reviews/<int:review_id>/summary", views.summary_save, name="summary"),
    path("reviews/<int:review_id>/export.<str:fmt>", views.review_export, name="export"),
    path("reviews/actions/<int:item_id>/status", views.action_status, name="action_status"),
    path("reviews/incident/<int:incident_id>/open", views.review_open, name="open"),
    path("reports/metrics/", views.metrics_page, name="metrics"),
    path("portal/summaries/", views.portal_summary_list, name="portal_list"),
    path("portal/summaries/<int:review_id>/", views.portal_summary_page, name="portal_summary"),
]
