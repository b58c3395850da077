from django.apps import AppConfig


class EngineConfig(AppConfig):
    name = "watchkeeper.engine"
    label = "engine"
    verbose_name = "Engine"

    def ready(self) -> None:
        # Timer handlers register on import; every process that runs timers needs them.
        from watchkeeper.engine import oncall  # noqa: F401
