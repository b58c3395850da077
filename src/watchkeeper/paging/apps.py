from django.apps import AppConfig


class PagingConfig(AppConfig):
    name = "watchkeeper.paging"
    label = "paging"
    verbose_name = "Paging"
