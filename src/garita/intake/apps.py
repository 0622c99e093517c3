from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "garita.intake"
    label = "intake"
