"""Pages of stats: public case statistics, CSV, waitlist figures; planners' what-if."""

from django.urls import path

from garita.stats import views

app_name = "stats"
urlpatterns = [
    path("", views.index, name="index"),
    path("csv/", views.cases_csv, name="csv"),
    path("waitlist/", views.waitlist, name="waitlist"),
    path("what-if/", views.what_if, name="what_if"),
]
