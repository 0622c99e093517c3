"""A staff member logs in through the browser and sees the staff desk."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_officer_logs_in_and_sees_the_staff_desk(page, live_server, users, login):
    login(page, users["port_officer"])
    assert page.get_by_text("Staff desk").is_visible()
    assert users["port_officer"].username in page.content()
