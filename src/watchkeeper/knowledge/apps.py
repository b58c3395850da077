from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "watchkeeper.knowledge"
    label = "knowledge"
    verbose_name = "Knowledge base and runbooks"
