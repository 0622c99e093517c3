"""Browser: a person opens the public board on a phone, finds today's numbers, estimates
their own number and checks their place with number + PIN, in Spanish too."""

from __future__ import annotations

import pytest

from garita.waitlist import services
from garita.waitlist.services import MemberIn

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def live_list(ports, make_user):
    officer = make_user("port_officer")
    regs = [services.register_group(actor=officer, port="san-ysidro",
                                    members=[MemberIn(f"Nombre{i}", f"Apellido{i}", "HND")] * s)
            for i, s in enumerate((2, 3, 1, 4))]
    services.set_capacity(actor=officer, port="san-ysidro", persons=5)
    services.call_next(actor=officer, port="san-ysidro")
    return regs


def test_a_person_reads_the_board_and_checks_their_place(live_server, browser, live_list):
    context = browser.new_context(locale="en-US", viewport={"width": 360, "height": 640})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/waitlist/san-ysidro/")
    assert page.locator("#wl-capacity").inner_text() == "5"
    called = page.locator("#wl-called tbody tr")
    assert called.count() == 2
    assert "Nombre" not in page.content() and "Apellido" not in page.content()
    page.fill("#wl-number", "4")
    page.click("form.wl-lookup button")
    assert "1 groups (1 persons) are ahead" in page.locator("#wl-estimate").inner_text()
    page.click("text=Check your place with your number and PIN")
    page.fill("#id_number", "4")
    page.fill("#id_pin", "000000" if live_list[3].pin != "000000" else "111111")
    page.click("main form button[type=submit]")
    assert page.locator(".wl-error").get_attribute("data-code") == "waitlist.bad_pin"
    page.fill("#id_pin", live_list[3].pin)
    page.click("main form button[type=submit]")
    assert "Number 4 (4 persons)" in page.locator("#wl-estimate").inner_text()
    context.close()


def test_the_board_is_in_spanish_for_a_spanish_phone(live_server, browser, live_list):
    context = browser.new_context(locale="es-MX", extra_http_headers={"Accept-Language": "es"})
    page = context.new_page()
    page.goto(f"{live_server.url}/waitlist/san-ysidro/")
    assert "Lista de espera" in page.locator("h1").inner_text()
    assert "Llamados hoy" in page.content()
    context.close()
