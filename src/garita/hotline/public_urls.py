"""Public pages of the hotline mounted at the site root (/status)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
