from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "garita.audit"
    label = "audit"
