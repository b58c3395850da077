from django.apps import AppConfig


class CommsConfig(AppConfig):
    name = "watchkeeper.comms"
    label = "comms"
    verbose_name = "Client communication"
