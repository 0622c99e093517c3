from django.apps import AppConfig


class WaitlistConfig(AppConfig):
    name = "garita.waitlist"
    label = "waitlist"
