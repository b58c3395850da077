from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "watchkeeper.core"
    label = "core"

    def ready(self) -> None:
        from watchkeeper.core import checks  # noqa: F401  (registers system checks)
        from watchkeeper.core.timers import timer_wake_hook_add
        from watchkeeper.core.wake import engines_wake

        # Timers due now, set by any process, wake the engines (see core.wake).
        timer_wake_hook_add(engines_wake)
