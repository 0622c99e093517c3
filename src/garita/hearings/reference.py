"""Reference data for hearings: the MPP courts, hearing locations, judges, interpreters,
which court each port feeds, and session calendars.

Idempotent (get_or_create by slug); administrators edit everything in the admin afterwards.
Sessions are generated in bulk for a date range, skipping days that already have them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction

from garita.core.models import Port
from garita.core.reference import ensure_reference_data
from garita.hearings.domain import zone
from garita.hearings.models import (
    CalendarType,
    Court,
    CourtSession,
    HearingLocation,
    InterpreterAvailability,
    Judge,
    PortHearingSettings,
    SchedulingPolicy,
)

COURTS = [
    ("san-diego", "San Diego Immigration Court", "America/Los_Angeles",
     "401 West A Street, Suite 800, San Diego, CA 92101", [
         {"name": "Jewish Family Service of San Diego", "phone": "",
          "address": "San Diego, CA"},
         {"name": "Casa Cornelia Law Center", "phone": "", "address": "San Diego, CA"},
         {"name": "Al Otro Lado", "phone": "", "address": "Tijuana, B.C. / San Diego, CA"},
     ]),
    ("el-paso", "El Paso Immigration Court", "America/Denver",
     "700 E. San Antonio Ave., Suite 750, El Paso, TX 79901", [
         {"name": "Las Americas Immigrant Advocacy Center", "phone": "", "address": "El Paso, TX"},
         {"name": "Diocesan Migrant & Refugee Services", "phone": "", "address": "El Paso, TX"},
         {"name": "Estrella del Paso", "phone": "", "address": "El Paso, TX"},
     ]),
    ("harlingen", "Harlingen Immigration Court", "America/Chicago",
     "2009 W. Jefferson Ave., Suite 300, Harlingen, TX 78550", [
         {"name": "South Texas Pro Bono Asylum Representation Project (ProBAR)", "phone": "",
          "address": "Harlingen, TX"},
         {"name": "Texas RioGrande Legal Aid", "phone": "", "address": "Brownsville, TX"},
         {"name": "Catholic Charities of the Rio Grande Valley", "phone": "",
          "address": "San Juan, TX"},
     ]),
]

# (slug, court, name, time zone or "", address, video from court slug or None)
LOCATIONS = [
    ("san-diego", "san-diego", "San Diego Immigration Court", "",
     "401 West A Street, Suite 800, San Diego, CA 92101", None),
    ("el-paso", "el-paso", "El Paso Immigration Court", "",
     "700 E. San Antonio Ave., Suite 750, El Paso, TX 79901", None),
    ("harlingen", "harlingen", "Harlingen Immigration Court", "",
     "2009 W. Jefferson Ave., Suite 300, Harlingen, TX 78550", None),
    ("laredo-tent", "harlingen", "Laredo Immigration Hearing Facility (tent court)",
     "America/Chicago", "Juárez-Lincoln International Bridge, Laredo, TX 78040", "harlingen"),
    ("brownsville-tent", "harlingen", "Brownsville Immigration Hearing Facility (tent court)",
     "America/Chicago", "Gateway International Bridge, Brownsville, TX 78520", "harlingen"),
]

JUDGES = {
    "san-diego": ["Hon. Lee O'Connor", "Hon. Rosa Maldonado", "Hon. Thomas Whitaker",
                  "Hon. Anita Desai", "Hon. Carl Benson", "Hon. Marisol Ybarra"],
    "el-paso": ["Hon. Daniel Cordero", "Hon. Helen Park", "Hon. Robert Lujan",
                "Hon. Sara Quintana", "Hon. Michael Ortega"],
    "harlingen": ["Hon. Patricia Garza", "Hon. Walter Hines", "Hon. Yolanda Treviño",
                  "Hon. Gregory Cho"],
}

# Which location each judge sits at by default (Harlingen judges cover the tent courts).
JUDGE_LOCATIONS = {"harlingen": ["harlingen", "laredo-tent", "brownsville-tent", "laredo-tent"]}

# port slug -> (court slug, location slug or None, lead minutes, persons/run, runs/morning)
PORT_FEEDS = {
    "san-ysidro": ("san-diego", "san-diego", 240, 45, 4),
    "calexico": ("san-diego", "san-diego", 240, 30, 2),
    "el-paso": ("el-paso", "el-paso", 240, 40, 4),
    "laredo": ("harlingen", "laredo-tent", 180, 40, 3),
    "brownsville": ("harlingen", "brownsville-tent", 180, 40, 3),
}

# language -> [(court slugs, mode, weekdays)]
INTERPRETERS = [
    ("spa", ["san-diego", "el-paso", "harlingen"], "in_person", [0, 1, 2, 3, 4]),
    ("por", ["san-diego", "el-paso", "harlingen"], "remote", [1, 3]),
    ("hat", ["san-diego", "harlingen"], "remote", [0, 2, 4]),
    ("hat", ["el-paso"], "remote", [1, 3]),
    ("quc", ["san-diego", "el-paso", "harlingen"], "remote", [0, 1, 2, 3, 4]),
    ("mam", ["san-diego", "el-paso", "harlingen"], "remote", [0, 2, 4]),
    ("kjb", ["san-diego", "el-paso", "harlingen"], "remote", [1, 3]),
    ("fra", ["san-diego", "el-paso", "harlingen"], "remote", [0, 1, 2, 3, 4]),
]


@transaction.atomic
def ensure_hearing_reference() -> dict[str, Court]:
    ensure_reference_data()
    courts: dict[str, Court] = {}
    for slug, name, tz, address, providers in COURTS:
        courts[slug], _ = Court.objects.get_or_create(
            slug=slug, defaults={"name": name, "timezone": tz, "address": address,
                                 "legal_service_providers": providers})
    locs: dict[str, HearingLocation] = {}
    for slug, court, name, tz, address, video in LOCATIONS:
        locs[slug], _ = HearingLocation.objects.get_or_create(
            slug=slug, defaults={"court": courts[court], "name": name, "timezone": tz,
                                 "address": address,
                                 "video_to_court": courts[video] if video else None})
    for court, names in JUDGES.items():
        for name in names:
            Judge.objects.get_or_create(court=courts[court], name=name)
    ports = {p.slug: p for p in Port.objects.all()}
    for pslug, (cslug, lslug, lead, per_run, runs) in PORT_FEEDS.items():
        if pslug not in ports:
            continue
        PortHearingSettings.objects.get_or_create(
            port=ports[pslug], defaults={"court": courts[cslug],
                                         "location": locs[lslug] if lslug else None,
                                         "report_lead_minutes": lead,
                                         "escort_persons_per_run": per_run,
                                         "escort_runs_per_morning": runs})
        courts[cslug].fed_by_ports.add(ports[pslug])
    if not InterpreterAvailability.objects.exists():
        InterpreterAvailability.objects.bulk_create([
            InterpreterAvailability(court=courts[c], language=lang, mode=mode, weekdays=days)
            for lang, cs, mode, days in INTERPRETERS for c in cs
        ])
    policy = SchedulingPolicy.current()
    if not policy.priority_flags:
        policy.priority_flags = ["unaccompanied_child", "medical", "young_child", "pregnant"]
        policy.save()
    return courts


def weekdays(start: dt.date, end: dt.date) -> Iterable[dt.date]:
    d = start
    while d <= end:
        if d.weekday() < 5:
            yield d
        d += dt.timedelta(days=1)


def ensure_sessions(start: dt.date, end: dt.date, *, master_capacity: int = 30,
                    individual_capacity: int = 5) -> int:
    """Each judge, each weekday: a master calendar at 08:30 and, in the afternoon, a master
    calendar (Mon, Wed, Fri) or an individual merits calendar (Tue, Thu)."""
    judges = list(Judge.objects.filter(active=True).select_related("court"))
    locs = {loc.slug: loc for loc in HearingLocation.objects.select_related("court")}
    existing = set(CourtSession.objects.filter(
        starts_at__date__gte=start - dt.timedelta(days=1),
        starts_at__date__lte=end + dt.timedelta(days=1),
    ).values_list("judge_id", "starts_at"))
    rows = []
    per_court: dict[int, int] = {}
    for judge in judges:
        i = per_court.get(judge.court_id, 0)
        per_court[judge.court_id] = i + 1
        slugs = JUDGE_LOCATIONS.get(judge.court.slug, [judge.court.slug])
        loc = locs.get(slugs[i % len(slugs)]) or locs.get(judge.court.slug)
        if loc is None:
            continue
        z = zone(loc.tz)
        for day in weekdays(start, end):
            for at, cal, cap in (
                (dt.time(8, 30), CalendarType.MASTER, master_capacity),
                (dt.time(13, 0), CalendarType.MASTER if day.weekday() in (0, 2, 4)
                 else CalendarType.INDIVIDUAL,
                 master_capacity if day.weekday() in (0, 2, 4) else individual_capacity),
            ):
                starts = dt.datetime.combine(day, at, z)
                if (judge.pk, starts) in existing:
                    continue
                rows.append(CourtSession(location=loc, judge=judge, court_id=judge.court_id,
                                         starts_at=starts, calendar=cal, capacity=cap))
    CourtSession.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
