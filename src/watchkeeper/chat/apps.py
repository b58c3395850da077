from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "watchkeeper.chat"
    label = "chat"
    verbose_name = "Team chat"
