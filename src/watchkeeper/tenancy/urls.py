from django.urls import path

from watchkeeper.tenancy import views

app_name = "tenancy"

urlpatterns = [
    path("clients/", views.home, name="clients"),
    path("clients/<slug:slug>/", views.client_detail, name="client"),
    path("clients/<slug:slug>/services/<int:service_id>/", views.service_detail, name="service"),
    path("portal/", views.portal, name="portal"),
]
