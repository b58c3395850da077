from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "watchkeeper.sla"
    label = "sla"
    verbose_name = "SLA management"
