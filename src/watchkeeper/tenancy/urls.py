from django.urls import path

from watchkeeper.tenancy import views

app_name = "tenancy"

urlpatterns = [
    path("clients/<slug:slug>/", views.client_detail, name="client"),
    path("portal/", views.portal, name="portal"),
]
