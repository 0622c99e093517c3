"""Pages of notices: the PDF download (the served record)."""

from django.urls import path

from garita.notices import views

app_name = "notices"
urlpatterns = [
    path("<int:notice_id>/pdf/", views.pdf, name="pdf"),
]
