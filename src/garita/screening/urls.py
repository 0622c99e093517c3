"""Pages of screening: screen an encounter, a case's decisions, approvals, fear interviews."""

from django.urls import path

from garita.screening import views

app_name = "screening"
urlpatterns = [
    path("", views.index, name="index"),
    path("encounters/<int:encounter_id>/", views.screen_encounter_page, name="encounter"),
    path("cases/<str:a_number>/", views.case_page, name="case"),
    path("cases/<str:a_number>/fear/", views.fear_claim_page, name="fear_claim"),
    path("approvals/", views.approvals_page, name="approvals"),
    path("fear-interviews/", views.fear_interviews_page, name="fear_interviews"),
]
