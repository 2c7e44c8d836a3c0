from django.apps import AppConfig


class RegisterConfig(AppConfig):
    name = "kir.register"
    label = "register"
