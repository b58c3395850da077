from django.apps import AppConfig


class EngineConfig(AppConfig):
    name = "watchkeeper.engine"
    label = "engine"
    verbose_name = "Engine"
