"""URL map: staff pages per app, public pages (waitlist board, status, stats), hotline
webhooks, the admin and the API."""

from django.contrib import admin
from django.urls import include, path

from garita.config.api import api

urlpatterns = [
    # The hotline first: its webhooks and /status are the busiest paths, and the resolver
    # tries patterns in order (neither "hotline/" nor "status" is used by anything below).
    path("hotline/", include("garita.hotline.urls")),
    path("", include("garita.hotline.public_urls")),
    path("", include("garita.core.urls")),
    path("accounts/", include("garita.accounts.urls")),
    path("intake/", include("garita.intake.urls")),
    path("screening/", include("garita.screening.urls")),
    path("waitlist/", include("garita.waitlist.urls")),
    path("hearings/", include("garita.hearings.urls")),
    path("notices/", include("garita.notices.urls")),
    path("notifications/", include("garita.notifications.urls")),
    path("stats/", include("garita.stats.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
