from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "garita.accounts"
    label = "accounts"
