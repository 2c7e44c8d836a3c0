from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "kir.notify"
    label = "notify"
