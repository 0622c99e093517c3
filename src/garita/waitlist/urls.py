"""Pages of waitlist."""

from django.urls import path  # noqa: F401

app_name = "waitlist"
urlpatterns: list = []
