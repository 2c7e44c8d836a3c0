from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "kir.tracker"
    label = "tracker"
