"""A refusal raised inside a page view is a 4xx page with its code, never a 500."""

import pytest

pytestmark = pytest.mark.django_db


def test_a_role_without_permission_gets_403_on_the_clerks_scheduling_page(client, users):
    client.force_login(users["shelter_staff"])
    res = client.get("/hearings/schedule/")
    assert res.status_code == 403
    assert "permission.denied" in res.content.decode()


def test_the_refusal_page_is_translated(client, users):
    client.force_login(users["analyst"])
    res = client.get("/hearings/schedule/", HTTP_ACCEPT_LANGUAGE="es")
    assert res.status_code == 403
    assert "No tiene permiso" in res.content.decode() or "permiso" in res.content.decode()
