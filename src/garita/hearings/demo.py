"""Demo data for hearings and notices: courts, sessions over 2019–2020 and around today, NTAs,
hearings placed by the real scheduler, and outcomes in the proportions TRAC reported.

Bulk and deterministic (ctx.rng): rows are inserted with hearings.bulk, one audit event per
batch ("seed.*"). Case states are set in bulk along CASE_TRANSITIONS for amenable and
not-amenable cases only (so no one with an open fear claim is returned to Mexico).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.db import connection, transaction

from garita.audit import services as audit
from garita.core.seeding import SeedContext
from garita.hearings import bulk, domain, loader
from garita.hearings.models import Hearing, HearingStatus
from garita.hearings.reference import ensure_hearing_reference, ensure_sessions
from garita.intake.models import Appearance, Case, CaseStatus, FamilyType
from garita.intake.pins import new_pin, pin_digest

SEED_COLUMNS = ("case_id", "session_id", "court_id", "location_id", "calendar", "starts_at",
                "report_port_id", "report_at", "status", "outcome", "outcome_at", "language",
                "interpreter_mode", "family_key", "served_at", "waiver", "relief",
                "outcome_notes", "version", "created_at", "noticed_at", "checked_in_at",
                "arrived_at_court_at", "rescission_deadline", "previous_id")

NOTICE_COLUMNS = ("case_id", "hearing_id", "kind", "language", "content", "issued_at",
                  "address_override_reason", "superseded", "served_at", "service_method",
                  "acknowledgement", "service_proof", "pdf_sha256")

FINAL = {
    "relief_granted": CaseStatus.RELIEF_GRANTED,
    "removal_ordered": CaseStatus.REMOVAL_ORDERED,
    "removal_in_absentia": CaseStatus.REMOVAL_ORDERED_IN_ABSENTIA,
    "terminated": CaseStatus.TERMINATED,
    "taken_off_mpp": CaseStatus.REMOVED_FROM_MPP,
}


def _draw_outcome(rng: Any, round_no: int) -> str:
    """Roughly TRAC's MPP picture: about half missed a hearing, most removal orders in
    absentia, ~1.5% relief granted; many first hearings were continued."""
    r = rng.random()
    if r < 0.40:
        return "removal_in_absentia"
    if r < 0.46:
        return "did_not_appear"
    if r < 0.475:
        return "relief_granted"
    if r < 0.55:
        return "removal_ordered"
    if r < 0.59:
        return "terminated"
    if r < 0.62:
        return "taken_off_mpp"
    return "continued" if round_no < 3 else "removal_ordered"


def seed(ctx: SeedContext) -> None:
    ensure_hearing_reference()
    ensure_sessions(dt.date(2019, 1, 28), dt.date(2020, 12, 31))
    ensure_sessions(ctx.today - dt.timedelta(days=90), ctx.today + dt.timedelta(days=180))
    rows = list(Case.objects.filter(
        status__in=[CaseStatus.AMENABLE, CaseStatus.NOT_AMENABLE]).exclude(
        hearings__status=HearingStatus.SCHEDULED).values_list(
        "id", "a_number", "port_id", "status", "person__languages", "person__encounter_id",
        "person__encounter__family_type", "person__encounter__occurred_at",
        "person__given_names", "person__surnames", "person__nationality"))
    # Never put anyone with an open fear claim on the MPP track (screening decides).
    # One query for the whole set (the same rule as screening.selectors.has_open_fear_claim).
    from garita.screening.models import FearClaim, FearStatus

    open_claims = set(FearClaim.objects.filter(status=FearStatus.OPEN)
                      .values_list("case_id", flat=True))
    rows = [r for r in rows if r[0] not in open_claims]
    if not rows:
        ctx.say("hearings: no amenable or not-amenable cases to schedule; skipped")
        return
    with transaction.atomic():
        _seed_cases(ctx, rows)


def _seed_cases(ctx: SeedContext, rows: list[tuple[Any, ...]]) -> None:
    rng = ctx.rng
    now = dt.datetime.combine(ctx.today, dt.time(12, 0), dt.UTC)
    info = {r[0]: r for r in rows}
    requests = []
    for cid, _a, port_id, status, langs, enc, ftype, occurred, *_rest in sorted(
            rows, key=lambda r: (r[7], r[0])):
        requests.append(domain.Request(
            case_id=cid, port_id=port_id, language=(langs or ["spa"])[0],
            served_at=min(occurred, now) if occurred else now,
            family_key=f"e{enc}" if ftype == FamilyType.FAMILY_UNIT else "",
            needs_escort=status == CaseStatus.AMENABLE,
        ))
    since = min(r.served_at for r in requests)
    ports = loader.port_rules()
    sched = domain.Scheduler(loader.slots(since=since), ports, loader.interpreter_lookup())
    result = sched.schedule(requests)
    by_case = {r.case_id: r for r in requests}
    stamp = bulk.batch_stamp()

    # Round 0: the first master hearing, noticed by the NTA served at the port.
    outcomes: Counter[str] = Counter()
    final_status: dict[int, str] = {}
    current = result.assignments
    previous_ids: dict[int, int] = {}
    round_requests = dict(by_case)
    all_hearings = 0
    notices: list[tuple[Any, ...]] = []
    upcoming: list[tuple[int, int, dt.datetime]] = []
    for round_no in range(4):
        if not current:
            break
        stamp = bulk.batch_stamp() if round_no else stamp
        hearing_rows = []
        next_requests = []
        family_outcome: dict[str, str] = {}
        for a in current:
            r = round_requests[a.case_id]
            served = r.served_at
            outcome, outcome_at, relief, rescission = "", None, "", None
            checked_in = arrived = None
            status = HearingStatus.SCHEDULED.value
            if a.starts_at < now:
                # A family hears its case together: one draw per family.
                outcome = family_outcome.setdefault(r.family_key or f"c{a.case_id}",
                                                    _draw_outcome(rng, round_no))
                status = HearingStatus.HELD.value
                outcome_at = a.starts_at + dt.timedelta(hours=2)
                if outcome == "relief_granted":
                    relief = rng.choices(["asylum", "withholding", "cat"], [6, 3, 1])[0]
                if outcome == "removal_in_absentia":
                    rescission = domain.rescission_deadline(outcome_at.date())
                elif a.report_at is not None and outcome != "did_not_appear":
                    checked_in = a.report_at - dt.timedelta(minutes=rng.randint(0, 50))
                    arrived = a.starts_at - dt.timedelta(minutes=rng.randint(10, 60))
                outcomes[outcome] += 1
                if outcome in FINAL:
                    final_status[a.case_id] = FINAL[outcome]
                elif outcome == "continued":
                    next_requests.append(domain.Request(
                        case_id=a.case_id, port_id=r.port_id, language=r.language,
                        served_at=max(a.starts_at, now - dt.timedelta(days=8))
                        if round_no == 2 else a.starts_at,
                        family_key=r.family_key, needs_escort=r.needs_escort))
            else:
                upcoming.append((a.case_id, 0, a.starts_at))
            hearing_rows.append((
                a.case_id, a.slot_id, a.court_id, a.location_id, "master", a.starts_at,
                a.report_port_id, a.report_at, status, outcome, outcome_at, r.language,
                a.interpreter_mode, r.family_key, served, False, relief, "", 1, stamp,
                served, checked_in, arrived, rescission, previous_ids.get(a.case_id)))
        bulk.insert_rows(Hearing, SEED_COLUMNS, hearing_rows)
        ids = dict(Hearing.objects.filter(created_at=stamp).values_list("case_id", "id"))
        all_hearings += len(ids)
        for row in hearing_rows:
            cid = row[0]
            a_number, given, surnames, nationality = (info[cid][1], info[cid][8], info[cid][9],
                                                      info[cid][10])
            content = {"a_number": a_number, "name": f"{given} {surnames}",
                       "nationality": nationality, "language": row[11],
                       "language_name": domain.KNOWN_LANGUAGES.get(row[11], row[11]),
                       "hearing_at": row[5].isoformat(), "hearing_id": ids.get(cid),
                       "calendar": "master", "demo": True}
            kind = "nta" if round_no == 0 else "hearing_notice"
            lang = {"spa": "es", "por": "pt", "hat": "ht"}.get(row[11], "en")
            ack = "refused" if rng.random() < 0.04 else "signed"
            notices.append((cid, ids.get(cid), kind, lang, content, row[20], "", False, row[20],
                            "in_person", ack, "", ""))
        previous_ids = {cid: ids[cid] for cid in ids}
        round_requests = {r.case_id: r for r in next_requests}
        current = sched.schedule(next_requests).assignments if next_requests else []
        # Upcoming hearings keep the case in MPP; their ids fill in the sample look-ups.
        upcoming = [(cid, ids.get(cid, hid), at) for cid, hid, at in upcoming]
    _fill_notice_content(notices)
    from garita.notices.models import Notice

    bulk.insert_rows(Notice, NOTICE_COLUMNS, notices)
    _set_case_states(ctx, info, by_case, final_status, now)
    _representation(ctx, [a.case_id for a in result.assignments], now)
    _sample_lookups(ctx, info, upcoming)
    audit.record(actor="seed", action="seed.hearings", object_type="hearings.hearing",
                 new={"hearings": all_hearings, "outcomes": dict(outcomes),
                      "unscheduled": len(result.refused)})
    ctx.say(f"hearings: {all_hearings} hearings for {len(result.assignments)} cases; "
            f"outcomes {dict(outcomes)}; {len(notices)} notices")


def _fill_notice_content(notices: list[tuple[Any, ...]]) -> None:
    """Add place, port and report time to each notice from its hearing (one query)."""
    ids = [n[1] for n in notices if n[1]]
    facts = {}
    for start in range(0, len(ids), 5000):
        for v in Hearing.objects.filter(pk__in=ids[start:start + 5000]).values_list(
                "id", "location__name", "location__address", "location__timezone",
                "court__timezone", "court__name", "report_at", "report_port__name",
                "report_port__address", "report_port__timezone", "case__port__timezone"):
            facts[v[0]] = v
    for n in notices:
        f = facts.get(n[1])
        if not f:
            continue
        c = n[4]
        c.update(location_name=f[1], location_address=f[2], tz=f[3] or f[4], court_name=f[5],
                 port_tz=f[9] or f[10])
        if f[6] is not None:
            c.update(report_at=f[6].isoformat(), port_name=f[7], port_address=f[8])


def _set_case_states(ctx: SeedContext, info: dict[int, tuple[Any, ...]],
                     by_case: dict[int, domain.Request], final_status: dict[int, str],
                     now: dt.datetime) -> None:
    """amenable -> nta_issued -> returned_to_mexico (MPP); not amenable -> nta_issued ->
    in proceedings in the US; a final outcome sets the final state. PINs set in bulk."""
    adapt = connection.ops.adapt_datetimefield_value
    params = []
    for cid in by_case:
        status = info[cid][3]
        target: str = CaseStatus.RETURNED_TO_MEXICO if status == CaseStatus.AMENABLE else (
            CaseStatus.IN_PROCEEDINGS)
        target = final_status.get(cid, target)
        pin = new_pin(ctx.rng)
        ctx.shared.setdefault("_hearing_pins", {})[cid] = pin
        params.append((target, adapt(now), pin_digest(info[cid][1], pin), cid))
    with connection.cursor() as cur:
        cur.executemany(
            f"UPDATE {Case._meta.db_table} SET status = %s, status_changed_at = %s, "  # noqa: S608
            "lookup_pin_digest = %s WHERE id = %s", params)
    audit.record(actor="seed", action="seed.case_status", object_type="intake.case",
                 new={"cases": len(params), "final": len(final_status)})


def _representation(ctx: SeedContext, case_ids: list[int], now: dt.datetime) -> None:
    from garita.accounts.models import User

    lawyer = User.objects.filter(role="legal_representative", is_active=True).order_by(
        "id").first()
    if lawyer is None or not case_ids:
        return
    chosen = [cid for cid in case_ids if ctx.rng.random() < 0.04]
    Appearance.objects.bulk_create([Appearance(case_id=cid, representative=lawyer,
                                               filed_at=now - dt.timedelta(days=30))
                                    for cid in chosen], batch_size=2000)
    audit.record(actor="seed", action="seed.appearances", object_type="intake.appearance",
                 new={"appearances": len(chosen)})


def _sample_lookups(ctx: SeedContext, info: dict[int, tuple[Any, ...]],
                    upcoming: list[tuple[int, int, dt.datetime]]) -> None:
    pins = ctx.shared.pop("_hearing_pins", {})
    upcoming = sorted(upcoming, key=lambda u: u[2])
    chosen = [cid for cid, _hid, _at in upcoming[:10]]
    if len(chosen) < 10:
        chosen += [cid for cid in pins if cid not in chosen][: 10 - len(chosen)]
    samples = ctx.shared.setdefault("sample_lookups", [])
    for cid in chosen:
        langs = info[cid][4] or ["spa"]
        samples.append({"a_number": info[cid][1], "pin": pins[cid], "language": langs[0]})
