from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "kir.catalogue"
    label = "catalogue"
