"""The /status page and the JSON look-up: same information, uniform failures, throttled."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from garita.audit.models import AuditEvent, UnsealedEvent
from garita.audit.selectors import verify_chain
from garita.audit.services import seal
from garita.hotline.models import LookupThrottle
from tests.factories import make_case
from tests.integration.hotline.conftest import make_hearing

pytestmark = pytest.mark.django_db


def post_status(client: Client, a_number: str, pin: str, ip: str = "203.0.113.7", lang="en"):
    return client.post("/status", {"a_number": a_number, "pin": pin}, REMOTE_ADDR=ip,
                       HTTP_ACCEPT_LANGUAGE=lang)


def test_form_renders_without_javascript_and_small(client):
    resp = client.get("/status")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "<script" not in html
    assert 'name="a_number"' in html and 'name="pin"' in html
    assert len(resp.content) < 50_000


def test_result_shows_hearing_address_map_and_legal_providers_but_no_name(client, court):
    case = make_case()
    make_hearing(case, court)
    resp = post_status(client, case.a_number, case.pin)
    html = resp.content.decode()
    assert "Your next hearing is on" in html
    assert "401 West A Street" in html
    assert "openstreetmap.org" in html
    assert "Jewish Family Service of San Diego" in html and "Al Otro Lado" in html
    assert "María" not in html and "Núñez" not in html and "HND" not in html
    assert case.a_number not in html  # only the masked form
    assert "no-store" in resp["Cache-Control"] or "no-cache" in resp["Cache-Control"]
    assert len(resp.content) < 50_000
    # Recorded at once without the chain lock, then chained by the sealing step.
    pending = UnsealedEvent.objects.get(action="hotline.lookup", object_id=str(case.pk))
    assert pending.new == {"channel": "web"} and pending.object_type == "intake.case"
    assert seal() == 1
    assert not UnsealedEvent.objects.exists()
    ev = AuditEvent.objects.get(action="hotline.lookup", object_id=str(case.pk))
    assert case.pin not in json.dumps(ev.new)
    assert verify_chain().ok


@pytest.mark.parametrize("lang, phrase", [
    ("es", "Su próxima audiencia es el"), ("pt", "Sua próxima audiência é em"),
    ("ht", "Pwochen odyans ou se"),
])
def test_result_in_each_language(client, court, lang, phrase):
    case = make_case()
    make_hearing(case, court)
    assert phrase in post_status(client, case.a_number, case.pin, lang=lang).content.decode()


def test_language_switch_is_a_plain_form(client):
    html = client.get("/status").content.decode()
    assert 'action="/i18n/setlang/"' in html


def test_wrong_pin_and_unknown_anumber_render_identically(client):
    case = make_case()
    a = post_status(client, case.a_number, "999999", ip="198.51.100.1").content.decode()
    b = post_status(client, "A987654321", "999999", ip="198.51.100.2").content.decode()
    import re

    def strip(html: str, a_number: str) -> str:  # the CSRF token and the echoed input differ
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
        return html.replace(a_number, "")

    assert strip(a, case.a_number) == strip(b, "A987654321")
    assert "We could not find a case" in a


def test_lockout_after_configured_failures_per_ip(client, settings):
    settings.GARITA_HOTLINE_MAX_FAILURES = 3
    case = make_case()
    for i in range(3):
        post_status(client, f"A98765432{i}", "111111", ip="192.0.2.9")
    html = post_status(client, case.a_number, case.pin, ip="192.0.2.9").content.decode()
    assert "too many attempts" in html
    assert AuditEvent.objects.filter(action="hotline.lockout").count() >= 1
    # another IP is not affected
    assert "Your notice has not yet been filed" in post_status(
        client, case.a_number, case.pin, ip="192.0.2.10").content.decode()


def test_lockout_per_anumber_across_ips(client, settings):
    settings.GARITA_HOTLINE_MAX_FAILURES = 3
    case = make_case()
    for i in range(3):
        post_status(client, case.a_number, f"00000{i}", ip=f"192.0.2.{20 + i}")
    html = post_status(client, case.a_number, case.pin, ip="192.0.2.99").content.decode()
    assert "too many attempts" in html
    assert LookupThrottle.objects.filter(scope="anumber", locked_until__isnull=False).exists()
    # throttle rows never hold the raw A-number or IP
    assert not LookupThrottle.objects.filter(key_digest__contains=case.a_number[1:]).exists()


def test_lockout_ends_after_the_configured_time(client, settings):
    import datetime as dt

    from django.utils import timezone

    settings.GARITA_HOTLINE_MAX_FAILURES = 2
    case = make_case()
    for _ in range(2):
        post_status(client, case.a_number, "000000", ip="192.0.2.50")
    LookupThrottle.objects.update(locked_until=timezone.now() - dt.timedelta(seconds=1))
    html = post_status(client, case.a_number, case.pin, ip="192.0.2.50").content.decode()
    assert "too many attempts" not in html


def test_bad_inputs_on_the_page_are_explained(client):
    assert "8 or 9 digits" in post_status(client, "hello 😀", "123456").content.decode()
    assert "6 digits" in post_status(client, "A234567890", "12").content.decode()
    resp = client.post("/status", {}, REMOTE_ADDR="203.0.113.70")
    assert resp.status_code == 200


def test_json_lookup_returns_the_same_statements(client, court):
    case = make_case()
    make_hearing(case, court)
    resp = client.post("/api/v1/hotline/lookup", {"a_number": case.a_number, "pin": case.pin,
                                                  "language": "es"},
                       content_type="application/json")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    keys = [s["key"] for s in body["statements"]]
    assert keys == ["next_hearing", "report_at_port"]
    assert body["statements"][0]["text"].startswith("Su próxima audiencia")
    assert body["next_hearing"]["court"] == "San Diego Immigration Court"
    assert len(body["legal_service_providers"]) == 2
    assert "María" not in resp.content.decode()


def test_json_lookup_failures_have_stable_codes(client, settings):
    settings.GARITA_HOTLINE_MAX_FAILURES = 2
    case = make_case()
    url = "/api/v1/hotline/lookup"
    r = client.post(url, {"a_number": "nope", "pin": "123456"}, content_type="application/json",
                    REMOTE_ADDR="10.0.0.1")
    assert r.status_code == 400 and r.json()["code"] == "anumber.invalid"
    r = client.post(url, {"a_number": case.a_number, "pin": "000000"},
                    content_type="application/json", REMOTE_ADDR="10.0.0.2")
    assert r.status_code == 404 and r.json()["code"] == "hotline.lookup_failed"
    r = client.post(url, {"a_number": case.a_number, "pin": "000001"},
                    content_type="application/json", REMOTE_ADDR="10.0.0.3")
    assert r.status_code == 429 and r.json()["code"] == "hotline.locked"
    r = client.post(url, {"a_number": 5}, content_type="application/json")
    assert r.status_code == 422
