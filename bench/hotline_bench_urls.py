"""Garita's URLs plus /bench/empty: the same server and middleware, an empty response."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from garita.config.urls import urlpatterns as garita_urlpatterns


def empty(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"")


urlpatterns = [path("bench/empty", empty), *garita_urlpatterns]
