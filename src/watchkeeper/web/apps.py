from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "watchkeeper.web"
    label = "web"
