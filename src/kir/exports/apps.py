from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "kir.exports"
    label = "exports"
