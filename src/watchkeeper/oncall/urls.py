"""Console pages for on-call schedules, and the iCal feeds."""

from django.urls import path

from watchkeeper.oncall import views

app_name = "oncall"

urlpatterns = [
    path("", views.schedule_list_page, name="list"),
    path("board", views.board, name="board"),
    path("new", views.schedule_new, name="new"),
    path("my-calendar", views.my_calendar_rotate, name="my_calendar"),
    path("calendar/<str:token>.ics", views.feed, name="feed"),
    path("<int:schedule_id>/", views.schedule_page, name="detail"),
    path("<int:schedule_id>/edit", views.schedule_edit, name="edit"),
    path("<int:schedule_id>/layers/new", views.layer_form, name="layer_new"),
    path("<int:schedule_id>/layers/<int:layer_id>/", views.layer_form, name="layer_edit"),
    path("<int:schedule_id>/layers/<int:layer_id>/delete", views.layer_delete, name="layer_delete"),
    path("<int:schedule_id>/overrides", views.override_new, name="override_new"),
    path(
        "<int:schedule_id>/overrides/<int:override_id>/delete", views.override_delete, name="override_delete"
    ),
    path("<int:schedule_id>/calendar", views.calendar_rotate, name="calendar"),
]
