"""The portal's knowledge base, under /portal/kb/."""

from django.urls import path

from watchkeeper.knowledge import portal_views

app_name = "portal_kb"

urlpatterns = [
    path("", portal_views.portal_article_list, name="list"),
    path("<int:article_id>/", portal_views.portal_article_page, name="detail"),
]
