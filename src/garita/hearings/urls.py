"""Pages of hearings: case history and actions, dockets, scheduling, mass reschedule."""

from django.urls import path

from garita.hearings import views

app_name = "hearings"
urlpatterns = [
    path("", views.index, name="index"),
    path("find/", views.find, name="find"),
    path("cases/<str:a_number>/", views.case_page, name="case"),
    path("cases/<str:a_number>/action/", views.case_action, name="case_action"),
    path("sessions/<int:session_id>/", views.docket, name="docket"),
    path("schedule/", views.schedule_page, name="schedule"),
    path("reschedule/", views.reschedule_page, name="reschedule"),
    path("hearing-day/", views.hearing_day_ports, name="hearing_day"),
    path("hearing-day/<slug:port_slug>/", views.port_day, name="port_day"),
]
