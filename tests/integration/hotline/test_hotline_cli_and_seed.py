"""`garita hotline call|sms` walks the real webhooks; the seed writes sample look-ups."""

from __future__ import annotations

import json
import random
from io import StringIO

import pytest
from django.core.management import call_command

from garita.core.seeding import SeedContext
from tests.factories import make_case
from tests.integration.hotline.conftest import make_hearing

pytestmark = pytest.mark.django_db


def test_simulated_call_reads_the_hearing_in_spanish(court):
    case = make_case()
    make_hearing(case, court)
    out = StringIO()
    call_command("hotline", "call", "--keys", f"2,{case.a_number[1:]},{case.pin},1,9",
                 stdout=out)
    text = out.getvalue()
    assert "(es-MX) Su próxima audiencia es el" in text
    assert text.count("Su próxima audiencia") == 2  # read, then repeated
    assert text.rstrip().endswith("[the call ends]")


def test_simulated_call_with_silence_ends_politely():
    out = StringIO()
    call_command("hotline", "call", "--keys", "1,,,", stdout=out)
    assert "did not receive any digits" in out.getvalue()
    assert "Goodbye" in out.getvalue()


def test_simulated_sms(court):
    case = make_case()
    make_hearing(case, court)
    out = StringIO()
    call_command("hotline", "sms", f"STATUS {case.a_number} {case.pin}", stdout=out)
    assert "Your next hearing is on" in out.getvalue()


def test_seed_writes_the_lookups_left_by_the_hearings_seed(tmp_path):
    path = tmp_path / "lookups.json"
    ctx = SeedContext(people=0, seed=1, rng=random.Random(1), today=__import__(
        "datetime").date(2019, 6, 1), lookups_path=path)
    ctx.shared["sample_lookups"] = [{"a_number": "A234567890", "pin": "123456",
                                     "language": "es"}]
    from garita.hotline.demo import seed

    seed(ctx)
    assert json.loads(path.read_text()) == ctx.shared["sample_lookups"]


def test_seed_makes_its_own_samples_when_none_exist_and_they_work(tmp_path, client):
    import datetime as dt

    from garita.core.reference import ensure_reference_data
    from garita.hotline.demo import seed

    ensure_reference_data()
    path = tmp_path / "lookups.json"
    ctx = SeedContext(people=0, seed=1, rng=random.Random(1), today=dt.date.today(),
                      lookups_path=path)
    seed(ctx)
    rows = json.loads(path.read_text())
    assert {r["language"] for r in rows} == {"en", "es", "pt", "ht"}
    first = rows[0]
    html = client.post("/status", {"a_number": first["a_number"], "pin": first["pin"]},
                       REMOTE_ADDR="203.0.113.80").content.decode()
    assert "next hearing" in html.lower() or "próxima audiencia" in html
