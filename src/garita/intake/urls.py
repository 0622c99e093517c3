"""Pages of intake (mounted at /intake/)."""

from django.urls import path

from garita.intake import views

app_name = "intake"
urlpatterns = [
    path("", views.case_list, name="case_list"),
    path("encounters/new/", views.encounter_new, name="encounter_new"),
    path("encounters/<int:encounter_id>/", views.encounter_detail, name="encounter_detail"),
    path("cases/<str:a_number>/", views.case_detail, name="case_detail"),
    path("cases/<str:a_number>/address/", views.case_address, name="case_address"),
    path("cases/<str:a_number>/contacts/", views.case_contact, name="case_contact"),
    path("cases/<str:a_number>/consents/", views.case_consent, name="case_consent"),
    path("cases/<str:a_number>/appearances/", views.case_appearance, name="case_appearance"),
    path("consents/<int:consent_id>/revoke/", views.consent_revoke, name="consent_revoke"),
    path("appearances/new/", views.appearance_new, name="appearance_new"),
    path("appearances/<int:appearance_id>/withdraw/", views.appearance_withdraw,
         name="appearance_withdraw"),
]
