from django.apps import AppConfig


class BrandingConfig(AppConfig):
    name = "portal.branding"
    label = "branding"
