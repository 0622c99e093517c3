"""Staff accounts: one role each, optionally bound to a port or an organization.

API tokens are stored hashed; the plain token is shown once when created.
"""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from garita.accounts.roles import ROLE_LABELS, Role


class User(AbstractUser):
    role = models.CharField(
        _("role"),
        max_length=32,
        choices=[(r.value, ROLE_LABELS[r]) for r in Role],
        default=Role.PORT_OFFICER.value,
    )
    port = models.ForeignKey(
        "core.Port", null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("port")
    )
    organization = models.CharField(_("organization"), max_length=200, blank=True)
    # For legal representatives: EOIR ID; for shelters: the shelter they work at.
    eoir_id = models.CharField(_("EOIR ID"), max_length=32, blank=True)
    shelter = models.ForeignKey(
        "intake.Shelter", null=True, blank=True, on_delete=models.PROTECT,
        verbose_name=_("shelter"),
    )
    preferred_language = models.CharField(_("language"), max_length=8, default="en")

    def label(self) -> str:
        return self.get_full_name() or self.username


class ApiToken(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked = models.BooleanField(default=False)

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, name: str) -> tuple[ApiToken, str]:
        token = "grt_" + secrets.token_urlsafe(32)
        return cls.objects.create(user=user, name=name, digest=cls.hash(token)), token

    def __str__(self) -> str:
        return f"{self.name} ({self.user_id})"
