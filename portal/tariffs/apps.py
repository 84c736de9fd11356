from django.apps import AppConfig


class TariffsConfig(AppConfig):
    name = "portal.tariffs"
    label = "tariffs"
