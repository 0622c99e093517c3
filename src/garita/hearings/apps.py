from django.apps import AppConfig


class HearingsConfig(AppConfig):
    name = "garita.hearings"
    label = "hearings"
