from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "watchkeeper.tenancy"
    label = "tenancy"
    verbose_name = "Clients"
