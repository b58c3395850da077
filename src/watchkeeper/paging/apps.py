from django.apps import AppConfig


class PagingConfig(AppConfig):
    name = "watchkeeper.paging"
    label = "paging"
    verbose_name = "Paging"

    def ready(self) -> None:
        from watchkeeper.core.wake import engines_wake
        from watchkeeper.paging.services.notify import outbox_wake_hook_add

        # Messages due now, queued by any process, wake the engines (see core.wake).
        outbox_wake_hook_add(engines_wake)
