from django.apps import AppConfig


class BrandingConfig(AppConfig):
    name = "watchkeeper.branding"
    label = "branding"
    verbose_name = "Branding"
