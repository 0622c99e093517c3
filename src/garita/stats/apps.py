from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "garita.stats"
    label = "stats"
