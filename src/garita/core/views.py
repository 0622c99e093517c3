"""The start page: public links for everyone, the staff desk for a logged-in role."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from garita.core.models import Port


def home(request: HttpRequest) -> HttpResponse:
    ports = Port.objects.filter(active=True)
    return render(request, "core/home.html", {"ports": ports})
