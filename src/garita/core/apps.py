from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "garita.core"
    label = "core"
