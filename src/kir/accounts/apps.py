from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kir.accounts"
    label = "accounts"
