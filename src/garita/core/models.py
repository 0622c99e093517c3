"""Reference data shared by every part of the journey: ports of entry.

A port keeps its own time zone; its slug (`san-ysidro`) appears in URLs and CLI flags.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Port(models.Model):
    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=128)
    city = models.CharField(_("city across the border"), max_length=128, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="America/Tijuana")
    address = models.TextField(_("address"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("port of entry")
        verbose_name_plural = _("ports of entry")

    def __str__(self) -> str:
        return self.name
