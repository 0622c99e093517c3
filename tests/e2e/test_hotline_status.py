"""A person checks their case on /status in a phone-sized browser, in Spanish, no JS."""

from __future__ import annotations

import pytest

from tests.factories import make_case
from tests.integration.hotline.conftest import court, make_hearing  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def test_status_lookup_in_spanish_on_a_small_screen(browser, live_server, court):  # noqa: F811
    case = make_case()
    make_hearing(case, court)
    context = browser.new_context(locale="es-MX", java_script_enabled=False,
                                  viewport={"width": 360, "height": 640})
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live_server.url}/status")
        page.fill("#id_a_number", "A " + case.a_number[1:4] + "-" + case.a_number[4:])
        page.fill("#id_pin", "000000")
        with page.expect_navigation():
            page.click("form.lookup button[type=submit]")
        assert "No encontramos un caso" in page.inner_text("main")
        page.fill("#id_pin", case.pin)
        with page.expect_navigation():
            page.click("form.lookup button[type=submit]")
        text = page.inner_text("main")
        assert "Su próxima audiencia es el" in text
        assert "Ayuda legal gratuita" in text and "Al Otro Lado" in text
        assert "María" not in text
        assert page.get_attribute("a:has-text('Abrir el mapa')", "href").startswith("https://")
    finally:
        context.close()


def test_language_switch_without_javascript(browser, live_server):
    context = browser.new_context(locale="en-US", java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/status")
        assert "Case status" in page.inner_text("main")
        page.select_option("header form.lang select", "pt")
        with page.expect_navigation():
            page.click("header form.lang button[type=submit]")
        assert "Situação do caso" in page.inner_text("main")
    finally:
        context.close()
