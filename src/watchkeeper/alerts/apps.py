from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "watchkeeper.alerts"
    label = "alerts"
    verbose_name = "Alerts and integrations"
