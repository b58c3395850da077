from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "watchkeeper.policy"
    label = "policy"
    verbose_name = "Incident policy"
