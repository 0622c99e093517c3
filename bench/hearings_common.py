"""Shared set-up for the hearings benchmarks: a fresh SQLite file (or DATABASE_URL) with
4 courts, 60 judges, 8 languages, sessions, and N cases built in bulk (not timed).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path


def setup_django(name: str) -> Path | None:
    path = None
    if "DATABASE_URL" not in os.environ:
        path = Path(tempfile.gettempdir()) / f"garita-bench-{name}-{os.getpid()}.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "garita.config.settings")
    os.environ.setdefault("GARITA_DEBUG", "0")  # no per-query debug logging, as in production
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    return path


LANGS = ["spa", "por", "hat", "quc", "mam", "kjb", "fra", "eng"]
LANG_WEIGHTS = [80, 5, 5, 3, 3, 2, 1, 1]


def build_world(n_cases: int, *, seed: int = 2019, days: int = 120, phones: bool = True,
                capacity: int = 30) -> dict[str, object]:
    """4 courts x 15 judges, two sessions a weekday each, 8 languages, N cases (bulk)."""
    from django.utils import timezone

    from garita.accounts.models import User
    from garita.core.models import Port
    from garita.hearings.models import (
        Court,
        CourtSession,
        HearingLocation,
        InterpreterAvailability,
        Judge,
        PortHearingSettings,
    )
    from garita.intake.models import Case, CaseStatus, ContactPoint, Encounter, Person

    rng = random.Random(seed)
    t0 = time.perf_counter()
    officer, _ = User.objects.get_or_create(username="bench-officer",
                                            defaults={"role": "port_officer"})
    tzs = ["America/Los_Angeles", "America/Denver", "America/Chicago", "America/Chicago"]
    courts, ports = [], []
    for i in range(4):
        court = Court.objects.create(slug=f"bench-court-{i}", name=f"Bench Court {i}",
                                     timezone=tzs[i], address=f"{i} Court St")
        loc = HearingLocation.objects.create(court=court, slug=f"bench-loc-{i}",
                                             name=f"Bench Location {i}", address="x")
        port = Port.objects.create(slug=f"bench-port-{i}", name=f"Bench Port {i}",
                                   timezone="America/Tijuana" if i == 0 else tzs[i])
        PortHearingSettings.objects.create(port=port, court=court, location=loc,
                                           report_lead_minutes=240, escort_persons_per_run=50,
                                           escort_runs_per_morning=14)
        courts.append((court, loc))
        ports.append(port)
        judges = Judge.objects.bulk_create([Judge(court=court, name=f"Judge {i}-{j}")
                                            for j in range(15)])
        start = timezone.now().date() + dt.timedelta(days=1)
        rows = []
        from garita.hearings.domain import zone

        for d in range(days):
            day = start + dt.timedelta(days=d)
            if day.weekday() >= 5:
                continue
            for judge in judges:
                for at in (dt.time(8, 30), dt.time(13, 0)):
                    rows.append(CourtSession(location=loc, judge=judge, court=court,
                                             starts_at=dt.datetime.combine(day, at,
                                                                           zone(court.timezone)),
                                             calendar="master", capacity=capacity))
        CourtSession.objects.bulk_create(rows, batch_size=5000)
        interp = [InterpreterAvailability(court=court, language="spa", mode="in_person",
                                          weekdays=[0, 1, 2, 3, 4])]
        for k, lang in enumerate(LANGS[1:-1]):
            interp.append(InterpreterAvailability(court=court, language=lang, mode="remote",
                                                  weekdays=[(k + i) % 5, (k + i + 2) % 5]))
        InterpreterAvailability.objects.bulk_create(interp)
    # Cases: ~30% of people in family units of 2-4.
    now = timezone.now()
    encounters, sizes = [], []
    made = 0
    while made < n_cases:
        size = 1 if rng.random() < 0.7 else rng.randint(2, 4)
        size = min(size, n_cases - made)
        port = ports[rng.randrange(4)]
        encounters.append(Encounter(port=port, occurred_at=now - dt.timedelta(
            minutes=n_cases - made), officer=officer,
            family_type="family_unit" if size > 1 else "single_adult"))
        sizes.append(size)
        made += size
    encounters = Encounter.objects.bulk_create(encounters, batch_size=5000)
    people = []
    for enc, size in zip(encounters, sizes, strict=True):
        lang = rng.choices(LANGS, LANG_WEIGHTS)[0]
        for m in range(size):
            people.append(Person(encounter=enc, given_names="Ana", surnames="Pérez",
                                 date_of_birth=dt.date(1990, 1, 1), nationality="HND",
                                 languages=[lang], is_head=m == 0))
    people = Person.objects.bulk_create(people, batch_size=5000)
    port_of = {e.pk: e.port_id for e in encounters}
    cases = Case.objects.bulk_create([
        Case(person=p, a_number=f"A{300000000 + i:09d}", status=CaseStatus.RETURNED_TO_MEXICO
             if rng.random() < 0.9 else CaseStatus.NOT_AMENABLE, port_id=port_of[p.encounter_id])
        for i, p in enumerate(people)], batch_size=5000)
    if phones:
        ContactPoint.objects.bulk_create([
            ContactPoint(case=c, kind="phone", value=f"+52664{c.pk:07d}") for c in cases],
            batch_size=5000)
    return {"cases": len(cases), "setup_s": time.perf_counter() - t0}
