from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "watchkeeper.core"
    label = "core"

    def ready(self) -> None:
        from watchkeeper.core import checks  # noqa: F401  (registers system checks)
