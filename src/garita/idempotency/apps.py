from django.apps import AppConfig


class IdempotencyConfig(AppConfig):
    name = "garita.idempotency"
    label = "idempotency"
    verbose_name = "Idempotency keys"
