"""Pages of hearings: case history and actions, dockets, scheduling, mass reschedule."""

from django.urls import path

from garita.hearings import views

app_name = "hearings"
urlpatterns = [
    path("cases/<str:a_number>/", views.case_page, name="case"),
    path("cases/<str:a_number>/action/", views.case_action, name="case_action"),
    path("sessions/<int:session_id>/", views.docket, name="docket"),
    path("schedule/", views.schedule_page, name="schedule"),
    path("reschedule/", views.reschedule_page, name="reschedule"),
]
