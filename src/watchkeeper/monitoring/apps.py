from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "watchkeeper.monitoring"
    label = "monitoring"
    verbose_name = "Monitoring"
