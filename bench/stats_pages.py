"""Benchmark: every statistics page over N synthetic MPP cases (default 1,000,000), cold
(empty cache) and warm, on the database in DATABASE_URL (SQLite by default, in its own file).

    .venv/bin/python bench/stats_pages.py --cases 1000000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/garita_stats_bench \
        .venv/bin/python bench/stats_pages.py --cases 1000000

Data is written with raw bulk inserts (COPY on PostgreSQL) straight into the intake and
hearings tables, then the cube is rebuilt once (timed) and each page is requested through
Django's test client (parsing, SQL, disclosure control, template) and timed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

NATIONALITIES = [("HND", 30), ("GTM", 25), ("SLV", 15), ("CUB", 10), ("VEN", 5), ("NIC", 5),
                 ("ECU", 4), ("BRA", 3), ("HTI", 2), ("COL", 1)]
# Completed-case shares close to TRAC's MPP figures (41,888 completed of 71,036).
OUTCOMES = [("removal_in_absentia", 39), ("removal_ordered", 7), ("terminated", 12),
            ("relief_granted", 1), ("removed_from_mpp", 2), ("in_proceedings", 39)]
COURTS = [("san-diego", "San Diego Immigration Court", "san-ysidro"),
          ("el-paso", "El Paso Immigration Court", "el-paso"),
          ("laredo-tent", "Laredo Tent Court (video to Harlingen)", "laredo"),
          ("brownsville-tent", "Brownsville Tent Court (video to Harlingen)", "brownsville")]


def setup_django(db_path: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "garita.config.settings")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{db_path}")
    import django

    django.setup()


def pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([w[0] for w in weighted], weights=[w[1] for w in weighted])[0]


def fmt(moment: dt.datetime, vendor: str) -> str:
    if vendor == "postgresql":
        return moment.strftime("%Y-%m-%d %H:%M:%S+00")
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def bulk(cur, vendor: str, table: str, cols: list[str], rows: list[tuple]) -> None:  # type: ignore[no-untyped-def]
    if vendor == "postgresql":
        buf = io.StringIO()
        for r in rows:
            buf.write("\t".join("\\N" if v is None else str(v) for v in r) + "\n")
        buf.seek(0)
        with cur.cursor.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
            copy.write(buf.read())
    else:
        marks = ", ".join(["%s"] * len(cols))
        cur.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", rows)


def generate(n_cases: int, seed: int = 2019, chunk: int = 100_000) -> None:
    from django.db import connection, transaction

    from garita.accounts.models import User
    from garita.core.models import Port
    from garita.core.reference import ensure_reference_data
    from garita.hearings.models import Court, HearingLocation

    vendor = connection.vendor
    rng = random.Random(seed)
    ensure_reference_data()
    ports = {p.slug: p.pk for p in Port.objects.all()}
    officer, _ = User.objects.get_or_create(username="bench-officer")
    rep, _ = User.objects.get_or_create(username="bench-rep",
                                        defaults={"role": "legal_representative"})
    locations = []
    for slug, name, port_slug in COURTS:
        court, _ = Court.objects.get_or_create(slug=slug, defaults={"name": name, "address": "-"})
        court.fed_by_ports.add(ports[port_slug])
        loc = HearingLocation.objects.filter(court=court).first() or HearingLocation.objects.create(
            court=court, name=name, address="-")
        locations.append((court.pk, loc.pk, ports[port_slug]))
    start = dt.datetime(2019, 1, 29, 16, 0)
    span_days = 730
    now = dt.datetime(2021, 2, 1)
    t0 = time.perf_counter()
    done = 0
    with connection.cursor() as cur:
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM intake_encounter")
        enc_id = cur.fetchone()[0]
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM intake_person")
        person_id = cur.fetchone()[0]
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM intake_case")
        case_id = cur.fetchone()[0]
        while done < n_cases:
            n = min(chunk, n_cases - done)
            encounters, people, cases, hearings, appearances = [], [], [], [], []
            for _i in range(n):
                court_id, loc_id, port_id = locations[rng.choices(range(4), [50, 30, 10, 10])[0]]
                noticed = start + dt.timedelta(days=rng.random() * span_days)
                enc_id += 1
                person_id += 1
                case_id += 1
                encounters.append((enc_id, port_id, fmt(noticed, vendor), officer.pk,
                                   "single_adult", "", fmt(noticed, vendor)))
                people.append((person_id, enc_id, "X", "Y", "[]", "1990-01-01", "",
                               pick(rng, NATIONALITIES), '["spa"]', "", True))
                status = pick(rng, OUTCOMES)
                decided = status != "in_proceedings"
                n_hearings = rng.randint(1, 4)
                decided_at = noticed + dt.timedelta(days=40 + 60 * n_hearings + rng.random() * 60)
                if decided_at > now:
                    status, decided = "in_proceedings", False
                cases.append((case_id, person_id, f"A{300_000_000 + case_id:09d}", status,
                              fmt(decided_at if decided else noticed, vendor), port_id, "",
                              fmt(noticed, vendor), fmt(noticed, vendor)))
                for h in range(n_hearings):
                    starts = noticed + dt.timedelta(days=40 + 60 * h)
                    past = starts < now
                    missed = status == "removal_in_absentia" and h == n_hearings - 1
                    outcome = ("did_not_appear" if missed else "continued") if past else ""
                    hearings.append((case_id, court_id, loc_id, "master", fmt(starts, vendor),
                                     "held" if past else "scheduled", outcome,
                                     fmt(noticed, vendor), fmt(noticed, vendor)))
                if rng.random() < 0.05:
                    appearances.append((case_id, rep.pk, fmt(noticed, vendor)))
            with transaction.atomic():
                bulk(cur, vendor, "intake_encounter",
                     ["id", "port_id", "occurred_at", "officer_id", "family_type", "notes",
                      "created_at"], encounters)
                bulk(cur, vendor, "intake_person",
                     ["id", "encounter_id", "given_names", "surnames", "aliases",
                      "date_of_birth", "sex", "nationality", "languages", "relationship",
                      "is_head"], people)
                bulk(cur, vendor, "intake_case",
                     ["id", "person_id", "a_number", "status", "status_changed_at", "port_id",
                      "lookup_pin_digest", "created_at", "updated_at"], cases)
                bulk(cur, vendor, "hearings_hearing",
                     ["case_id", "court_id", "location_id", "calendar", "starts_at", "status",
                      "outcome", "noticed_at", "created_at"], hearings)
                bulk(cur, vendor, "intake_appearance",
                     ["case_id", "representative_id", "filed_at"], appearances)
            done += n
            print(f"  inserted {done:,} cases ({time.perf_counter() - t0:.0f} s)", flush=True)
        if vendor == "postgresql":
            for table in ("intake_encounter", "intake_person", "intake_case"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT MAX(id) FROM {table}))")
            cur.execute("ANALYZE")
        else:
            cur.execute("ANALYZE")


PAGES = [
    ("/stats/?group_by=court", "by court"),
    ("/stats/?group_by=location", "by hearing location"),
    ("/stats/?group_by=port", "by port"),
    ("/stats/?group_by=nationality", "by nationality"),
    ("/stats/?group_by=representation", "by representation"),
    ("/stats/?group_by=outcome", "by outcome"),
    ("/stats/?group_by=nta_month", "by NTA month"),
    ("/stats/?group_by=decision_month", "by decision month"),
    ("/stats/?group_by=court&nationality=HND", "by court, 1 filter"),
    ("/stats/?group_by=nta_month&nationality=GTM&court=san-diego&representation=no",
     "by NTA month, 3 filters"),
    ("/stats/csv/?group_by=nationality&court=el-paso", "CSV by nationality, 1 filter"),
    ("/api/v1/stats/cases?group_by=decision_month&outcome=removal_in_absentia", "JSON, 1 filter"),
    ("/stats/waitlist/", "waitlist figures"),
]


def time_pages() -> list[tuple[str, float, float]]:
    from django.core.cache import cache
    from django.test import Client

    client = Client()
    client.get("/")  # first request of the process: imports, URL resolver, static finders
    client.get("/stats/waitlist/")
    out = []
    for url, label in PAGES:
        cache.clear()
        t = time.perf_counter()
        resp = client.get(url)
        cold = time.perf_counter() - t
        assert resp.status_code == 200, (url, resp.status_code)
        t = time.perf_counter()
        client.get(url)
        warm = time.perf_counter() - t
        out.append((label, cold, warm))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=ROOT / "var" / "bench_stats.sqlite3")
    parser.add_argument("--reuse", action="store_true", help="keep existing data, only time")
    args = parser.parse_args()
    if not args.reuse and "DATABASE_URL" not in os.environ and args.db.exists():
        args.db.unlink()
    setup_django(args.db)
    from django.core.management import call_command
    from django.db import connection

    from garita.intake.models import Case
    from garita.stats.models import CubeCell
    from garita.stats.services import rebuild_cube

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    if not args.reuse:
        t = time.perf_counter()
        generate(args.cases)
        print(f"generated {args.cases:,} cases in {time.perf_counter() - t:.0f} s")
    print(f"cases in the database: {Case.objects.count():,}")
    state = rebuild_cube()
    print(f"cube rebuild: {state.build_seconds:.1f} s, {CubeCell.objects.count():,} cells")
    print(f"{'page':36} {'cold s':>8} {'warm s':>8}")
    for label, cold, warm in time_pages():
        print(f"{label:36} {cold:8.3f} {warm:8.3f}")


if __name__ == "__main__":
    main()
