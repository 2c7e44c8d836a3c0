from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "kir.outbox"
    label = "outbox"
