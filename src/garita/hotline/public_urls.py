"""Public pages of the hotline mounted at the site root (/status)."""

from django.urls import include, path

from garita.hotline import views

public_patterns = ([path("status", views.status_page, name="status")], "hotline-public")
urlpatterns = [path("", include(public_patterns))]
