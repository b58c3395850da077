from django.apps import AppConfig


class EngineConfig(AppConfig):
    name = "watchkeeper.engine"
    label = "engine"
    verbose_name = "Engine"

    def ready(self) -> None:
        # Timer handlers register on import; every process that runs timers needs them.
        # Every process (web replicas too) wakes the engines when it commits due work: NOTIFY on
        # PostgreSQL reaches engines in other processes; the in-process event serves `serve`d
        # and test engines.
        from watchkeeper.engine import (
            oncall,  # noqa: F401
            wakeup,
        )

        wakeup.install()
