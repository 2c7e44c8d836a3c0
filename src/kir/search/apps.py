from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "kir.search"
    label = "search"
