from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "kir.audit"
    label = "audit"
