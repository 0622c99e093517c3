from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "garita.screening"
    label = "screening"
