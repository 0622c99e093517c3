from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "garita.notifications"
    label = "notifications"
