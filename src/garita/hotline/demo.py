"""Demo data for the hotline: its four languages and the sample look-ups file.

Writes `ctx.shared["sample_lookups"]` (left by the hearings seed) to `ctx.lookups_path`;
when no app left any, it creates a few sample cases with hearings so that the file is never
empty and a new user can try /status and `garita hotline call` at once.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db import transaction

from garita.core.seeding import SeedContext
from garita.hotline.selectors import ensure_default_languages

SAMPLE_LANGUAGES = ("es", "pt", "ht", "en")
_LANG_639_3 = {"es": "spa", "pt": "por", "ht": "hat", "en": "eng"}


def seed(ctx: SeedContext) -> None:
    ensure_default_languages()
    samples: list[dict[str, Any]] = list(ctx.shared.get("sample_lookups") or [])
    if not samples:
        samples = _sample_cases(ctx)
        ctx.shared["sample_lookups"] = samples
    if ctx.lookups_path is not None:
        ctx.lookups_path.parent.mkdir(parents=True, exist_ok=True)
        ctx.lookups_path.write_text(json.dumps(samples, indent=1, ensure_ascii=False) + "\n")
        ctx.say(f"hotline: {len(samples)} sample look-ups written to {ctx.lookups_path}")
    if samples:
        first = samples[0]
        digit = {"en": "1", "es": "2", "pt": "3", "ht": "4"}.get(first.get("language", "es"), "2")
        ctx.say("hotline: try the phone line without a phone: garita hotline call --keys "
                f"{digit},{first['a_number'][1:]},{first['pin']}")


@transaction.atomic
def _sample_cases(ctx: SeedContext) -> list[dict[str, Any]]:
    """Four cases (one per language) with a hearing in two to five weeks."""
    from zoneinfo import ZoneInfo

    from garita.accounts.models import User
    from garita.audit.services import record
    from garita.core.models import Port
    from garita.hearings.models import Court, Hearing, HearingLocation
    from garita.intake.models import Case, Encounter, Person
    from garita.intake.pins import new_pin, pin_digest

    port = Port.objects.filter(slug="san-ysidro").first() or Port.objects.first()
    if port is None:
        return []
    court = Court.objects.order_by("pk").first()
    if court is None:
        court = Court.objects.create(
            slug="san-diego", name="San Diego Immigration Court",
            timezone="America/Los_Angeles",
            address="401 West A Street, Suite 800\nSan Diego, CA 92101",
            legal_service_providers=[{"name": "Jewish Family Service of San Diego",
                                      "phone": "+1 858 637 3000",
                                      "address": "8804 Balboa Ave, San Diego, CA 92123"}],
        )
    location = court.locations.order_by("pk").first() or HearingLocation.objects.create(
        court=court, name=court.name, address=court.address)
    officer, _ = User.objects.get_or_create(username="demo-hotline", defaults={
        "role": "port_officer", "is_active": False})
    tz = ZoneInfo(court.timezone)
    out = []
    number = 99_990_000
    for i, lang in enumerate(SAMPLE_LANGUAGES):
        while Case.objects.filter(a_number=f"A{number:09d}").exists():
            number += 1
        a_number = f"A{number:09d}"
        number += 1
        pin = new_pin(ctx.rng)
        enc = Encounter.objects.create(port=port, officer=officer, family_type="single_adult",
                                       occurred_at=dt.datetime.combine(
                                           ctx.today - dt.timedelta(days=40), dt.time(9),
                                           tzinfo=tz))
        person = Person.objects.create(encounter=enc, given_names="Demo", surnames=f"Hotline {i}",
                                       date_of_birth=dt.date(1990, 1, 1 + i), nationality="HND",
                                       languages=[_LANG_639_3[lang]], is_head=True)
        case = Case.objects.create(person=person, a_number=a_number, port=port,
                                   status="returned_to_mexico",
                                   lookup_pin_digest=pin_digest(a_number, pin))
        day = ctx.today + dt.timedelta(days=14 + 7 * i)
        day += dt.timedelta(days=(7 - day.weekday()) % 7 if day.weekday() >= 5 else 0)
        starts = dt.datetime.combine(day, dt.time(8, 30), tzinfo=tz)
        Hearing.objects.create(case=case, court=court, location=location, calendar="master",
                               starts_at=starts, report_port=port,
                               report_at=starts - dt.timedelta(hours=4), noticed_at=enc.occurred_at)
        out.append({"a_number": a_number, "pin": pin, "language": lang})
    record(actor="seed", action="seed.hotline_samples", object_type="intake.case",
           new={"cases": len(out)})
    return out
