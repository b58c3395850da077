from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "watchkeeper.mail"
    label = "mail"
    verbose_name = "Outgoing mail"
