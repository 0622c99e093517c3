from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "garita.notices"
    label = "notices"
