from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "kir.web"
    label = "web"
