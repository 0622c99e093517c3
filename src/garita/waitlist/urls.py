"""Pages of the waitlist: staff pages under /waitlist/ and /waitlist/staff/<port>/, the
public board, position check and the C2SP log endpoints under /waitlist/<port>/."""

from django.urls import path, re_path

from garita.waitlist import views

app_name = "waitlist"
urlpatterns = [
    path("", views.staff_index, name="staff_index"),
    path("staff/<slug:port>/", views.staff_port, name="staff_port"),
    path("staff/<slug:port>/register/", views.staff_register, name="staff_register"),
    path("staff/<slug:port>/capacity/", views.staff_capacity, name="staff_capacity"),
    path("staff/<slug:port>/call/", views.staff_call, name="staff_call"),
    path("staff/<slug:port>/presence/", views.staff_presence, name="staff_presence"),
    path("staff/<slug:port>/remove/", views.staff_remove, name="staff_remove"),
    path("staff/<slug:port>/settings/", views.staff_settings, name="staff_settings"),
    path("staff/<slug:port>/draw/", views.staff_draw, name="staff_draw"),
    path("<slug:port>.json", views.board_json, name="board_json"),
    path("<slug:port>/", views.board, name="board"),
    path("<slug:port>/position/", views.position, name="position"),
    path("<slug:port>/log/checkpoint", views.log_checkpoint, name="log_checkpoint"),
    path("<slug:port>/log/key", views.log_key, name="log_key"),
    re_path(r"^(?P<port>[-a-z0-9]+)/log/tile/(?P<rest>[-a-z0-9./x]+)$", views.log_tile,
            name="log_tile"),
]
