from django.apps import AppConfig


class EngineConfig(AppConfig):
    name = "watchkeeper.engine"
    label = "engine"
    verbose_name = "Engine"

    def ready(self) -> None:
        # Every process (web replicas too) wakes the engines when it commits due work: NOTIFY on
        # PostgreSQL reaches engines in other processes; the in-process event serves `serve`d
        # and test engines.
        from watchkeeper.engine import wakeup

        wakeup.install()
