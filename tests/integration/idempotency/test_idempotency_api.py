"""Idempotency-Key on the API's writes: a retried write answers as the first one did and
runs once; a reused key, a key in flight or a malformed key is refused with a stable code."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import OperationalError
from django.test import Client

from garita.audit.models import AuditEvent
from garita.idempotency.models import IdempotencyRecord
from garita.waitlist.models import Group

from .conftest import REGISTER, family

pytestmark = pytest.mark.django_db

KEY = "5f0c2b7e-3a1d-4c8e-9b6f-1d2e3f4a5b6c"


def post(client: Client, path: str, body: dict, key: str | None = KEY, **extra):
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return client.post(path, json.dumps(body), content_type="application/json",
                       **headers, **extra)


def registrations() -> int:
    return AuditEvent.objects.filter(action="waitlist.register").count()


def test_a_retried_write_answers_as_the_first_did_and_runs_once(officer_api):
    first = post(officer_api, REGISTER, family())
    again = post(officer_api, REGISTER, family())

    assert first.status_code == again.status_code == 201
    assert again.content == first.content  # the same number and the same PIN
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert again["Content-Type"] == first["Content-Type"]
    assert Group.objects.count() == 1
    assert registrations() == 1  # a replay writes no audit event


def test_the_same_request_reserialised_is_still_the_same_request(officer_api):
    first = post(officer_api, REGISTER, family())
    body = family()
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=2)
    again = officer_api.post(REGISTER, reordered, content_type="application/json",
                             HTTP_IDEMPOTENCY_KEY=KEY)
    assert again.status_code == 201 and again.content == first.content
    assert Group.objects.count() == 1


def test_without_a_key_every_write_runs(officer_api):
    post(officer_api, REGISTER, family(), key=None)
    r = post(officer_api, REGISTER, family(), key=None)
    assert r.status_code == 201 and "Idempotent-Replayed" not in r
    assert Group.objects.count() == 2
    assert not IdempotencyRecord.objects.exists()


def test_the_same_key_with_another_body_is_refused_and_writes_nothing(officer_api):
    post(officer_api, REGISTER, family("Lopez"))
    r = post(officer_api, REGISTER, family("Mejia"))
    assert r.status_code == 422
    assert r.json()["code"] == "api.idempotency_key_reused"
    assert r.json()["field"] == "Idempotency-Key"
    assert Group.objects.count() == 1 and registrations() == 1


def test_the_same_key_on_another_endpoint_is_refused(officer_api):
    post(officer_api, REGISTER, family())
    r = post(officer_api, "/api/v1/waitlist/san-ysidro/capacity", {"persons": 5})
    assert r.status_code == 422
    assert r.json()["code"] == "api.idempotency_key_reused"
    assert not AuditEvent.objects.filter(action="waitlist.capacity_set").exists()


def test_another_user_with_the_same_key_is_independent(officer_api, make_user, api_client_for):
    other = api_client_for(make_user("port_officer"))
    a = post(officer_api, REGISTER, family())
    b = post(other, REGISTER, family())
    assert a.status_code == b.status_code == 201
    assert "Idempotent-Replayed" not in b
    assert a.json()["number"] != b.json()["number"]
    assert Group.objects.count() == 2


def test_a_users_session_and_token_share_the_users_keys(officer, officer_api):
    first = post(officer_api, REGISTER, family())
    browser = Client(enforce_csrf_checks=False)
    browser.force_login(officer)
    again = post(browser, REGISTER, family())
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert Group.objects.count() == 1


def test_an_expired_key_runs_the_write_again(officer_api):
    first = post(officer_api, REGISTER, family())
    past = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    IdempotencyRecord.objects.update(expires_at=past)
    again = post(officer_api, REGISTER, family())
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert again.json()["number"] != first.json()["number"]
    assert Group.objects.count() == 2
    assert IdempotencyRecord.objects.count() == 1  # the expired record was replaced


@pytest.mark.parametrize("key", ["", " ", "a" * 256, "clé-1", "tab\there", "trailing ",
                                 " leading", "new\nline"])
def test_a_malformed_key_is_refused_with_400_and_nothing_written(officer_api, key):
    r = post(officer_api, REGISTER, family(), key=key)
    assert r.status_code == 400
    assert r.json()["code"] == "api.idempotency_key_invalid"
    assert not Group.objects.exists() and not IdempotencyRecord.objects.exists()


@pytest.mark.parametrize("key", ["a", "a" * 255, '"8e03978e-40d5-43e8-bc93-6894a57f9324"',
                                 "order 42 / retry~ok"])
def test_any_printable_ascii_key_up_to_255_characters_is_taken(officer_api, key):
    assert post(officer_api, REGISTER, family(), key=key).status_code == 201
    assert post(officer_api, REGISTER, family(), key=key)["Idempotent-Replayed"] == "true"
    assert Group.objects.count() == 1


def test_a_refusal_of_the_handler_is_stored_and_replayed(officer_api):
    """A 4xx with a stable code is the answer to that request: the retry gets it again,
    although the same call would pass now."""
    first = post(officer_api, "/api/v1/waitlist/san-ysidro/capacity", {"persons": -1})
    assert first.status_code == 400 and first.json()["code"] == "waitlist.bad_capacity"
    again = post(officer_api, "/api/v1/waitlist/san-ysidro/capacity", {"persons": -1})
    assert again.status_code == 400 and again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert not AuditEvent.objects.filter(action="waitlist.capacity_set").exists()


def test_a_refusal_that_depends_on_state_is_replayed_even_after_the_state_changed(
        officer, officer_api):
    from garita.waitlist import services

    services.set_settings(actor=officer, port="san-ysidro", is_open=False)
    closed = post(officer_api, REGISTER, family())
    assert closed.status_code >= 400
    services.set_settings(actor=officer, port="san-ysidro", is_open=True)
    again = post(officer_api, REGISTER, family())
    assert again.status_code == closed.status_code and again.content == closed.content
    assert again["Idempotent-Replayed"] == "true"
    assert not Group.objects.exists()
    # A new key is a new request.
    assert post(officer_api, REGISTER, family(), key="another-key").status_code == 201


def test_a_schema_failure_is_not_stored(officer_api):
    """Refused before the handler ran (422 request.invalid): the corrected request may use
    the same key."""
    bad = post(officer_api, REGISTER, {"members": "nobody"})
    assert bad.status_code == 422 and bad.json()["code"] == "request.invalid"
    assert not IdempotencyRecord.objects.exists()
    assert post(officer_api, REGISTER, family()).status_code == 201


def test_a_too_many_requests_answer_is_not_stored(officer_api, monkeypatch):
    from garita.core.errors import DomainError
    from garita.waitlist import services

    real = services.register_group

    def throttled(**kw):
        raise DomainError("waitlist.throttled", "slow down", status=429)

    monkeypatch.setattr(services, "register_group", throttled)
    assert post(officer_api, REGISTER, family()).status_code == 429
    monkeypatch.setattr(services, "register_group", real)
    again = post(officer_api, REGISTER, family())
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert Group.objects.count() == 1


@pytest.mark.parametrize("failure", [RuntimeError("bug"), OperationalError("db gone")])
def test_a_server_error_is_not_stored_and_its_writes_are_undone(officer, api_client_for,
                                                                 monkeypatch, failure):
    """The handler wrote, then failed: its transaction rolls back whole, the key is given
    back, and the retry runs."""
    from garita.waitlist import services

    real = services.register_group

    def half_then_fail(**kw):
        real(**kw)
        raise failure

    client = api_client_for(officer)
    client.raise_request_exception = False
    monkeypatch.setattr(services, "register_group", half_then_fail)
    r = post(client, REGISTER, family())
    assert r.status_code in (500, 503)
    assert not Group.objects.exists() and registrations() == 0
    assert not IdempotencyRecord.objects.exists()

    monkeypatch.setattr(services, "register_group", real)
    again = post(client, REGISTER, family())
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert Group.objects.count() == 1 and registrations() == 1


def test_a_key_in_flight_is_refused_with_409_and_retry_after(officer, officer_api):
    from garita.idempotency import domain, services

    body = json.dumps(family()).encode()
    fp = domain.fingerprint(KEY, method="POST", path=REGISTER, query="", body=body)
    services.claim(user_id=officer.pk, key=KEY, fingerprint=fp)  # another request holds it

    r = post(officer_api, REGISTER, family())
    assert r.status_code == 409
    assert r.json()["code"] == "api.idempotency_in_flight"
    assert r["Retry-After"] == "1"
    assert not Group.objects.exists()
    # A different body with the key in flight is a reused key, not a wait.
    assert post(officer_api, REGISTER, family("Mejia")).status_code == 422


def test_a_key_whose_request_died_is_taken_over_after_the_lease(officer, officer_api):
    from garita.idempotency import domain, services

    body = json.dumps(family()).encode()
    fp = domain.fingerprint(KEY, method="POST", path=REGISTER, query="", body=body)
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    dead = services.claim(user_id=officer.pk, key=KEY, fingerprint=fp, now=long_ago)
    IdempotencyRecord.objects.update(expires_at=long_ago + dt.timedelta(hours=24))

    r = post(officer_api, REGISTER, family())
    assert r.status_code == 201 and "Idempotent-Replayed" not in r
    # The dead attempt, were it alive after all, could no longer store an answer.
    assert not services.complete(dead, status=201, content_type="", body=b"{}")
    assert post(officer_api, REGISTER, family())["Idempotent-Replayed"] == "true"
    assert Group.objects.count() == 1


def test_public_writes_ignore_the_header(officer, officer_api, ports):
    from garita.waitlist.services import MemberIn, register_group

    reg = register_group(actor=officer, port="san-ysidro",
                         members=[MemberIn("Ana", "Lopez", "HND")])
    body = {"number": reg.group.number, "pin": reg.pin}
    anonymous = Client()
    for _ in range(2):
        r = post(anonymous, "/api/v1/waitlist/san-ysidro/position", body, key="k")
        assert r.status_code == 200 and "Idempotent-Replayed" not in r
    assert not IdempotencyRecord.objects.exists()


def test_the_stored_answer_is_sealed_not_readable_in_the_table(officer_api):
    r = post(officer_api, REGISTER, family())
    pin = r.json()["pin"].encode()
    rec = IdempotencyRecord.objects.get()
    assert pin not in bytes(rec.body) and b"Lopez" not in bytes(rec.body)
    assert KEY not in (rec.key_digest, rec.fingerprint)
    assert rec.status == 201


def test_a_stored_answer_survives_a_secret_key_rotation_with_a_fallback(officer_api,
                                                                         settings):
    first = post(officer_api, REGISTER, family())
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    again = post(officer_api, REGISTER, family())
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"


def test_an_answer_no_secret_key_opens_is_not_run_again(officer_api, settings):
    post(officer_api, REGISTER, family())
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    r = post(officer_api, REGISTER, family())
    assert r.status_code == 409
    assert r.json()["code"] == "api.idempotency_result_unavailable"
    assert Group.objects.count() == 1


def test_purge_deletes_only_expired_records(officer_api):
    from django.core.management import call_command

    post(officer_api, REGISTER, family())
    post(officer_api, REGISTER, family(), key="second")
    IdempotencyRecord.objects.filter(pk=IdempotencyRecord.objects.order_by("pk")[0].pk).update(
        expires_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    call_command("idempotency", "purge")
    assert IdempotencyRecord.objects.count() == 1


def test_the_refusals_speak_spanish(officer_api):
    r = post(officer_api, REGISTER, family(), key="", HTTP_ACCEPT_LANGUAGE="es")
    assert r.json()["code"] == "api.idempotency_key_invalid"
    assert r.json()["message"].startswith("El encabezado Idempotency-Key")


def test_a_write_transaction_that_cannot_open_gives_the_key_back(officer_api, monkeypatch):
    """SQLite still locked after its busy timeout, or the database gone between the claim
    and the write: 503 to retry, and the retry is not kept waiting for the lease."""
    import types

    from django.db import transaction

    from garita.idempotency import hooks

    class Locked:
        def __enter__(self):
            raise OperationalError("database is locked")

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(hooks, "transaction", types.SimpleNamespace(
        atomic=Locked, set_rollback=transaction.set_rollback))
    r = post(officer_api, REGISTER, family())
    assert r.status_code == 503 and r.json()["code"] == "service.unavailable"
    assert not IdempotencyRecord.objects.exists() and not Group.objects.exists()
    monkeypatch.undo()
    assert post(officer_api, REGISTER, family()).status_code == 201
