"""Garita's URLs plus two empty responses from the same server: /bench/empty through the
pages' middleware (what /status goes through) and /hotline/bench/empty through the webhooks'
(what the IVR steps go through; garita.core.handlers dispatches by path)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from garita.config.urls import urlpatterns as garita_urlpatterns


def empty(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"")


urlpatterns = [path("bench/empty", empty), path("hotline/bench/empty", empty),
               *garita_urlpatterns]
