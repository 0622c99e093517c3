from django.apps import AppConfig


class HotlineConfig(AppConfig):
    name = "garita.hotline"
    label = "hotline"
