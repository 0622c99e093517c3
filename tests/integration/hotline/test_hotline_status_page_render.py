"""The hand-built /status page: translated, escaped, protected by CSRF, small, never cached.

The page is no longer rendered by the template engine (garita.hotline.status_page); these
tests pin what the template guaranteed: every fixed text in the page's language, every
value escaped, the CSRF token in both forms, no name or nationality, under 50 KB.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.http import HttpResponse
from django.test import Client
from django.utils.cache import add_never_cache_headers
from django.utils.http import parse_http_date

from garita.hotline import status_page
from tests.factories import make_case
from tests.integration.hotline.conftest import make_hearing

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert('x')</script>\"&"
HOSTILE_ESCAPED = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&quot;&amp;"

# Fixed texts of the page, per language (from the hotline catalogues).
FIXED = {
    "en": ["<title>Case status · Garita</title>", "<h1>Case status</h1>",
           'aria-label="Language"', ">A-number</label>", ">PIN</label>",
           ">Look up</button>",
           "Enter the A-number and the PIN printed on your notice. We never show names.",
           "You can also send STATUS, your A-number and your PIN by SMS."],
    "es": ["<title>Estado del caso · Garita</title>", "<h1>Estado del caso</h1>",
           'aria-label="Idioma"', ">Número A</label>", ">PIN</label>",
           ">Consultar</button>",
           "Ingrese el número A y el PIN impresos en su notificación. Nunca mostramos nombres.",
           "También puede enviar ESTADO, su número A y su PIN por SMS."],
    "pt": ["<title>Situação do caso · Garita</title>", "<h1>Situação do caso</h1>",
           'aria-label="Idioma"', ">Número A</label>",
           ">Consultar</button>",
           "Digite o número A e o PIN impressos na sua notificação. Nunca mostramos nomes.",
           "Você também pode enviar SITUACAO, seu número A e seu PIN por SMS."],
    "ht": ["<title>Eta dosye a · Garita</title>", "<h1>Eta dosye a</h1>",
           'aria-label="Lang"', ">Nimewo A</label>", ">Chèche</button>",
           "Tape nimewo A a ak PIN ki enprime sou avi ou a. Nou pa janm montre non moun.",
           "Ou ka voye ESTATI, nimewo A ou ak PIN ou pa SMS tou."],
}
ANSWER_TEXTS = {
    "en": ["Case A***-***-", "<h2>Where to go</h2>", "<dt>Court</dt>", "<dt>Address</dt>",
           "<dt>Report at the port</dt>", ">Open the map</a>", "<h2>Free legal help</h2>",
           ">Look up another case</a>"],
    "es": ["Caso A***-***-", "<h2>Adónde ir</h2>", "<dt>Corte</dt>", "<dt>Dirección</dt>",
           "<dt>Presentarse en el puerto</dt>", ">Abrir el mapa</a>",
           "<h2>Ayuda legal gratuita</h2>", ">Consultar otro caso</a>"],
    "pt": ["Caso A***-***-", "<h2>Aonde ir</h2>", "<dt>Tribunal</dt>",
           "<dt>Apresentar-se no posto de fronteira</dt>", ">Abrir o mapa</a>",
           "<h2>Ajuda jurídica gratuita</h2>", ">Consultar outro caso</a>"],
    "ht": ["Dosye A***-***-", "<h2>Ki kote pou ale</h2>", "<dt>Tribinal</dt>",
           "<dt>Prezante nan pò a</dt>", ">Louvri kat la</a>", "<h2>Èd legal gratis</h2>",
           ">Chèche yon lòt dosye</a>"],
}
ERRORS = {
    "en": {"locked": "There have been too many attempts. Please try again later.",
           "bad_anumber": "An A-number has 8 or 9 digits, for example A234567890.",
           "bad_pin": "The PIN has 6 digits. It is printed on your notice.",
           "failed": "We could not find a case with that A-number and PIN."},
    "es": {"locked": "Hubo demasiados intentos. Por favor, inténtelo más tarde.",
           "bad_anumber": "El número A tiene 8 o 9 dígitos, por ejemplo A234567890.",
           "bad_pin": "El PIN tiene 6 dígitos. Viene impreso en su notificación.",
           "failed": "No encontramos un caso con ese número A y ese PIN."},
    "pt": {"locked": "Houve tentativas demais. Por favor, tente novamente mais tarde.",
           "bad_anumber": "O número A tem 8 ou 9 dígitos, por exemplo A234567890.",
           "bad_pin": "O PIN tem 6 dígitos. Ele está impresso na sua notificação.",
           "failed": "Não encontramos um caso com esse número A e esse PIN."},
    "ht": {"locked": "Te gen twòp esè. Tanpri eseye ankò pita.",
           "bad_anumber": "Yon nimewo A gen 8 oswa 9 chif, pa egzanp A234567890.",
           "bad_pin": "PIN nan gen 6 chif. Li enprime sou avi ou a.",
           "failed": "Nou pa jwenn okenn dosye ak nimewo A sa a ak PIN sa a."},
}


class _Page(HTMLParser):
    """The elements a browser would see: tags with attributes, the text, no scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags
                if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def post_status(client: Client, a_number: str, pin: str, lang: str = "en",
                ip: str = "203.0.113.40"):
    return client.post("/status", {"a_number": a_number, "pin": pin}, REMOTE_ADDR=ip,
                       HTTP_ACCEPT_LANGUAGE=lang)


@pytest.mark.parametrize("lang", ["en", "es", "pt", "ht"])
def test_the_form_in_each_language_has_its_translated_texts(client, lang):
    resp = client.get("/status", HTTP_ACCEPT_LANGUAGE=lang)
    assert resp.status_code == 200
    html = resp.content.decode()
    for text in FIXED[lang]:
        assert text in html, (lang, text)
    # "Change" is also a msgid of django.contrib.admin, whose catalogue comes first in
    # INSTALLED_APPS and would win ("Modificar"): the button's text has its own context.
    change = {"en": "Change", "es": "Cambiar", "pt": "Mudar", "ht": "Chanje"}[lang]
    assert f'<button type="submit">{change}</button>' in html
    page = parse(html)
    assert page.find("html", lang=lang)
    assert page.find("meta", name="robots", content="noindex")
    assert page.find("option", value=lang)[0].get("selected", "missing") is None  # selected
    assert len(page.find("option")) == 4
    assert page.find("form", action="/i18n/setlang/", method="post")
    assert page.find("input", name="next", type="hidden", value="/status")
    assert page.find("form", action="/status", method="post")
    assert page.find("input", id="id_a_number", name="a_number")
    assert page.find("input", id="id_pin", name="pin", type="password")
    assert "<script" not in html and len(resp.content) < 50_000
    assert resp["Content-Type"] == "text/html; charset=utf-8"
    assert resp.templates == []  # built without the template engine


@pytest.mark.parametrize("lang", ["en", "es", "pt", "ht"])
def test_the_answer_in_each_language_has_its_translated_labels(client, court, lang):
    case = make_case()
    make_hearing(case, court)
    html = post_status(client, case.a_number, case.pin, lang=lang).content.decode()
    for text in FIXED[lang][:3] + ANSWER_TEXTS[lang]:
        assert text in html, (lang, text)
    assert 'name="a_number"' not in html  # the answer replaces the form


@pytest.mark.parametrize("lang", ["en", "es", "pt", "ht"])
def test_each_failure_has_its_message(client, settings, lang):
    settings.GARITA_HOTLINE_MAX_FAILURES = 2
    case, other_case, locked_case = make_case(), make_case(), make_case()
    net = f"198.51.{ord(lang[0])}"
    pages = {
        "bad_anumber": post_status(client, "hello", "123456", lang, f"{net}.1"),
        "bad_pin": post_status(client, case.a_number, "12", lang, f"{net}.2"),
        "failed": post_status(client, other_case.a_number, "000000", lang, f"{net}.3"),
    }
    for pin in ("000001", "000002"):
        post_status(client, locked_case.a_number, pin, lang, f"{net}.4")
    pages["locked"] = post_status(client, locked_case.a_number, locked_case.pin, lang,
                                  f"{net}.4")
    for code, resp in pages.items():
        assert resp.status_code == 200
        html = resp.content.decode()
        alerts = re.findall(r'<p class="error" role="alert">([^<]*)</p>', html)
        assert alerts == [ERRORS[lang][code]], (lang, code, alerts)
        assert parse(html).find("form", action="/status")  # the form again, to retry


def test_no_alert_on_the_empty_form(client):
    assert 'class="error"' not in client.get("/status").content.decode()


def test_hostile_court_place_port_and_provider_names_are_escaped(client, court):
    from garita.core.models import Port

    c, loc = court
    c.name = "Court " + HOSTILE
    c.legal_service_providers = [{"name": "LSP " + HOSTILE, "phone": '+1"><b>',
                                  "address": "Addr " + HOSTILE}]
    c.save()
    loc.name = "Place " + HOSTILE
    loc.address = "Line 1 " + HOSTILE + "\nLine 2"
    loc.map_url = 'https://maps.example/?q=1&x="><script>'
    loc.save()
    case = make_case()  # (resets the reference ports: rename the port after it)
    make_hearing(case, court)
    Port.objects.filter(slug="san-ysidro").update(name="Port " + HOSTILE,
                                                  address="Gate " + HOSTILE)
    html = post_status(client, case.a_number, case.pin).content.decode()
    assert "<script" not in html and "<b>" not in html
    for text in ("Court ", "LSP ", "Addr ", "Place ", "Line 1 ", "Port ", "Gate "):
        assert text + HOSTILE_ESCAPED in html, text
    assert "Line 1 " + HOSTILE_ESCAPED + "<br>Line 2" in html  # line breaks kept
    page = parse(html)
    assert page.find("a", href='https://maps.example/?q=1&x="><script>')
    assert page.find("a", href='tel:+1"><b>')


def test_the_submitted_anumber_is_escaped_in_the_form(client):
    resp = post_status(client, '"><script>alert(1)</script>', "123456")
    html = resp.content.decode()
    assert resp.status_code == 200 and "<script" not in html
    assert 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html
    assert parse(html).find("input", name="a_number",
                            value='"><script>alert(1)</script>')


def test_csrf_token_from_the_page_is_accepted_and_required(court):
    case = make_case()
    make_hearing(case, court)
    client = Client(enforce_csrf_checks=True)
    page = client.get("/status")
    assert "csrftoken" in page.cookies
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert len(tokens) == 2 and tokens[0] == tokens[1]  # both forms carry it
    refused = client.post("/status", {"a_number": case.a_number, "pin": case.pin},
                          REMOTE_ADDR="203.0.113.41")
    assert refused.status_code == 403
    ok = client.post("/status", {"a_number": case.a_number, "pin": case.pin,
                                 "csrfmiddlewaretoken": tokens[0]},
                     REMOTE_ADDR="203.0.113.41", HTTP_ACCEPT_LANGUAGE="en")
    assert ok.status_code == 200 and "Your next hearing is on" in ok.content.decode()
    # The answer page's token works for the language switch too.
    answer_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"',
                             ok.content.decode()).group(1)
    switched = client.post("/i18n/setlang/", {"language": "pt", "next": "/status",
                                              "csrfmiddlewaretoken": answer_token})
    assert switched.status_code == 302 and switched["Location"] == "/status"
    assert "<h1>Situação do caso</h1>" in client.get("/status").content.decode()
    assert client.post("/i18n/setlang/", {"language": "es"}).status_code == 403


def test_answer_is_small_never_cached_and_shows_no_name_or_nationality(client, court):
    case = make_case(given_names="Zuleima Xiomara", surnames="Quetzal Yupanqui",
                     nationality="HND")
    make_hearing(case, court)
    resp = post_status(client, case.a_number, case.pin)
    html = resp.content.decode()
    assert "Your next hearing is on" in html
    assert len(resp.content) < 50_000
    for secret in ("Zuleima", "Xiomara", "Quetzal", "Yupanqui", "HND", "Honduras",
                   case.a_number, "1990"):
        assert secret not in html, secret
    expected = HttpResponse()
    add_never_cache_headers(expected)  # what the page sent before it set them itself
    assert resp["Cache-Control"] == expected["Cache-Control"]
    assert parse_http_date(resp["Expires"]) == pytest.approx(
        parse_http_date(expected["Expires"]), abs=5)


def test_fixed_parts_are_built_once_per_language(client, monkeypatch):
    status_page.clear_cache()
    built: list[str] = []
    real = status_page._build_fixed

    def counting(language: str):
        built.append(language)
        return real(language)

    monkeypatch.setattr(status_page, "_build_fixed", counting)
    for lang in ("es", "en", "es", "es", "en"):
        client.get("/status", HTTP_ACCEPT_LANGUAGE=lang)
    assert built == ["es", "en"]


@pytest.mark.parametrize("text", ["one line", "a\nb", "a\r\nb\rc\n", HOSTILE + "\r\n" + HOSTILE,
                                  "", "\n\n"])
def test_line_breaks_as_the_template_filter(text):
    from django.template.defaultfilters import linebreaksbr

    assert status_page.linebreaks_br(text) == linebreaksbr(text, autoescape=True)
