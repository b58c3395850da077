"""Console pages of chat, and the slash-command endpoint chat tools post to."""

from django.urls import path

from watchkeeper.chat import views

app_name = "chat"

urlpatterns = [
    path("", views.chat_page, name="page"),
    path("channels/new", views.channel_new, name="channel_new"),
    path("channels/<int:channel_id>/", views.channel_page, name="channel"),
    path("channels/<int:channel_id>/edit", views.channel_edit, name="channel_edit"),
    path("channels/<int:channel_id>/delete", views.channel_delete, name="channel_delete"),
    path("channels/<int:channel_id>/test", views.channel_test, name="channel_test"),
    path("commands/new", views.endpoint_new, name="endpoint_new"),
    path("commands/<int:endpoint_id>/delete", views.endpoint_delete, name="endpoint_delete"),
    path("links/new", views.link_new, name="link_new"),
    path("links/<int:link_id>/delete", views.link_delete, name="link_delete"),
    path("slash/<str:key>", views.slash_command, name="command"),
]
