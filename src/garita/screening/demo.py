"""Demo data for screening: realistic decisions for the encounters the intake seed made.

Bulk and deterministic (ctx.rng): decisions come from the pure domain, rows are bulk-created,
case statuses bulk-updated, one audit event per batch; nobody with an open claim is returned.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.utils import timezone

from garita.audit import services as audit
from garita.core.models import Port
from garita.core.seeding import SeedContext
from garita.intake.models import Case, CaseStatus, Encounter, Person
from garita.screening import domain
from garita.screening.models import (
    FearClaim,
    FearStatus,
    OrrReferral,
    ScreeningDecision,
)

BATCH = 5000
# Rough shares among people screened (reporting 2019-2020; the fear figures are MPP's).
FLAG_RATES = {
    "known_health_issue": 0.03,
    "criminal_history": 0.01,
    "processed_for_expedited_removal": 0.01,
    "parole": 0.004,
    "returning_lpr": 0.002,
    "government_interest": 0.003,
}
FEAR_RATE = 0.10
FEAR_POSITIVE_RATE = 0.13
FEAR_CLOSED_RATE = 0.05
DIRECTOR_RATE = 0.004
DIRECTOR_REASONS = [
    "Testigo en una investigación federal en curso.",
    "Persona con discapacidad que requiere atención continua.",
    "Adulto mayor sin red de apoyo en Tijuana.",
    "Persona LGBTI con amenazas documentadas en Tijuana.",
]
# Claims raised in the last few days are still waiting for an interview.
OPEN_CLAIM_DAYS = 3


def _actors() -> tuple[Any, str, Any]:
    from garita.accounts.models import User

    officer = User.objects.filter(username="officer").first()
    supervisor = User.objects.filter(username="supervisor").first()
    label = officer.get_username() if officer else "demo-seed"
    return officer, label, supervisor


def _rows(ctx: SeedContext) -> list[tuple[Any, ...]]:
    """Everyone waiting for screening, family by family (head first), as plain tuples.

    Raw SQL: at 100k people the ORM's row building costs more than the screening. The
    encounter filter is applied in Python because a 50k-item IN list exceeds SQLite's limit.
    """
    q = connection.ops.quote_name
    case_t, person_t = Case._meta.db_table, Person._meta.db_table
    enc_t, port_t = Encounter._meta.db_table, Port._meta.db_table
    sql = (
        f"SELECT c.{q('id')}, p.{q('encounter_id')}, e.{q('occurred_at')}, pt.{q('slug')}, "
        f"pt.{q('timezone')}, e.{q('family_type')}, p.{q('date_of_birth')}, "
        f"p.{q('nationality')}, p.{q('sex')}, p.{q('given_names')}, p.{q('surnames')} "
        f"FROM {q(case_t)} c JOIN {q(person_t)} p ON c.{q('person_id')} = p.{q('id')} "
        f"JOIN {q(enc_t)} e ON p.{q('encounter_id')} = e.{q('id')} "
        f"JOIN {q(port_t)} pt ON e.{q('port_id')} = pt.{q('id')} "
        f"WHERE c.{q('status')} = %s "
        f"ORDER BY p.{q('encounter_id')}, p.{q('is_head')} DESC, p.{q('date_of_birth')}, "
        f"c.{q('id')}"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [CaseStatus.ENCOUNTERED.value])
        raw = cur.fetchall()
    wanted = set(ctx.shared.get("encounter_ids") or ())
    out = []
    for r in raw:
        if wanted and r[1] not in wanted:
            continue
        occurred, born = r[2], r[6]
        if isinstance(occurred, str):  # SQLite: UTC text
            occurred = dt.datetime.fromisoformat(occurred).replace(tzinfo=dt.UTC)
        elif timezone.is_naive(occurred):
            occurred = occurred.replace(tzinfo=dt.UTC)
        if isinstance(born, str):
            born = dt.date.fromisoformat(born)
        out.append((r[0], r[1], occurred, r[3], r[4], r[5], born, r[7], r[8], r[9], r[10]))
    return out


def _flags(rng: Any, age: int, sex: str) -> dict[str, Any]:
    flags: dict[str, Any] = {k: rng.random() < rate for k, rate in FLAG_RATES.items()}
    flags["pregnant"] = sex.upper().startswith("F") and 18 <= age <= 40 and rng.random() < 0.03
    flags["port_director_exclusion"] = (
        rng.choice(DIRECTOR_REASONS) if rng.random() < DIRECTOR_RATE else None
    )
    return flags


class DecisionRow(NamedTuple):
    """One screening_screeningdecision row in column order (inserted with executemany)."""

    case_id: int
    encounter_id: int
    batch: uuid.UUID
    outcome: str
    individual_outcome: str
    reasons: str  # JSON text, ready for the database
    family_outcome: str
    family_reasons: str
    family_policy: str
    rule_set_version: str
    profile: str
    decided_by_id: int | None
    decided_by_label: str
    decided_at: dt.datetime
    approved_by_id: int | None
    approved_at: dt.datetime | None


COLUMNS = DecisionRow._fields
JSON_COLUMNS = {"reasons", "family_reasons", "profile"}


@dataclass
class Plan:
    decisions: list[DecisionRow] = field(default_factory=list)
    # (case id, index of the decision that found it, how, raised at, fate)
    claims: list[tuple[int, int, str, dt.datetime, str]] = field(default_factory=list)
    referrals: list[OrrReferral] = field(default_factory=list)
    final_status: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def plan(rows: list[tuple[Any, ...]], rules: domain.RuleSet, rng: Any, today: dt.date,
         now: dt.datetime, officer: Any = None, label: str = "demo-seed",
         supervisor: Any = None) -> Plan:
    """Decide everyone with the pure domain; no database access (deterministic per rng)."""
    out = Plan()
    decisions, claims, referrals = out.decisions, out.claims, out.referrals
    final_status, counts = out.final_status, out.counts
    zones: dict[str, zoneinfo.ZoneInfo] = {}
    json_cache: dict[Any, str] = {}
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    by_encounter: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        by_encounter[row[1]].append(row)

    def add(case_id: int, enc_id: int, batch: uuid.UUID, profile: domain.ScreeningProfile,
            own: domain.Decision, applied: str, family: domain.FamilyDecision,
            at: dt.datetime) -> int:
        approved = supervisor is not None and rng.random() < 0.9
        key = own.codes if not profile.port_director_exclusion else None
        reasons = json_cache.get(key) if key is not None else None
        if reasons is None:
            reasons = dumps([{"code": r.code, "detail": r.detail} for r in own.reasons])
            if key is not None:
                json_cache[key] = reasons
        family_reasons = dumps([{"member": r.member, "name": r.name, "code": r.code,
                                 "detail": r.detail} for r in family.reasons]) \
            if family.reasons else "[]"
        decisions.append(DecisionRow(
            case_id, enc_id, batch, applied, own.outcome, reasons,
            family.outcome, family_reasons,
            family.policy, rules.version, dumps(profile.as_dict()),
            officer.pk if officer else None, label, at,
            supervisor.pk if approved else None,
            at + dt.timedelta(hours=1) if approved else None,
        ))
        return len(decisions) - 1

    for enc_id, members in by_encounter.items():
        occurred, slug, tzname, family_type = members[0][2], members[0][3], members[0][4], \
            members[0][5]
        tz = zones.setdefault(tzname, zoneinfo.ZoneInfo(tzname))
        day = timezone.localtime(occurred, tz).date()
        decided_at = occurred + dt.timedelta(hours=2)
        profiles = []
        for m in members:
            dob = m[6] if m[6] <= day else day
            age = domain.age_on(dob, day)
            profiles.append(domain.ScreeningProfile(
                port=slug, encounter_date=day, date_of_birth=dob,
                nationality=m[7] if m[7] in domain.ISO_ALPHA3 else "HND",
                family_type=family_type, **_flags(rng, age, m[8] or ""),
            ))
        # Fear is usually spoken by the adult who answers for the family.
        if rng.random() < FEAR_RATE:
            profiles[0] = profiles[0].replace(
                fear_of_return=rng.choice(["volunteered", "asked", "asked"]))
        names = [f"{m[9]} {m[10]}".strip() for m in members]
        family = domain.evaluate_family(profiles, rules, names=names)
        batch = uuid.UUID(int=rng.getrandbits(128))
        first_idx = []
        for m, p, own, applied in zip(members, profiles, family.members,
                                      family.member_outcomes, strict=True):
            first_idx.append(add(m[0], enc_id, batch, p, own, applied, family, decided_at))
        final = list(family.member_outcomes)
        if family.outcome == domain.Outcome.PENDING_FEAR_INTERVIEW and profiles[0].fear_claimed:
            fresh = (today - day).days <= OPEN_CLAIM_DAYS or occurred > now
            if fresh:
                fate = FearStatus.OPEN
            else:
                roll = rng.random()
                fate = (FearStatus.POSITIVE if roll < FEAR_POSITIVE_RATE else
                        FearStatus.CLOSED if roll < FEAR_POSITIVE_RATE + FEAR_CLOSED_RATE
                        else FearStatus.NEGATIVE)
            claims.append((members[0][0], first_idx[0], profiles[0].fear_of_return,
                           decided_at, fate))
            counts[f"fear_{fate}"] += 1
            if fate != FearStatus.OPEN:
                after = [p.replace(fear_interview_outcome=fate) if p.fear_claimed else p
                         for p in profiles]
                again = domain.evaluate_family(after, rules, names=names)
                at = decided_at + dt.timedelta(days=rng.randint(1, 3))
                for m, p, own, applied in zip(members, after, again.members,
                                              again.member_outcomes, strict=True):
                    add(m[0], enc_id, batch, p, own, applied, again, at)
                final = list(again.member_outcomes)
        for m, own, status in zip(members, family.members, final, strict=True):
            final_status[status].append(m[0])
            counts[status] += 1
            if domain.Code.UNACCOMPANIED_CHILD in own.codes:
                referrals.append(OrrReferral(case_id=m[0], created_at=decided_at,
                                             deadline=decided_at + dt.timedelta(hours=72),
                                             created_by=officer))

    return out


def _insert_decisions(rows: list[DecisionRow]) -> None:
    """Plain executemany: the ORM's bulk_create costs more than the screening itself."""
    ops = connection.ops
    sqlite = connection.vendor == "sqlite"
    table = ops.quote_name(ScreeningDecision._meta.db_table)
    cols = ", ".join(ops.quote_name(c) for c in COLUMNS)
    marks = ", ".join("%s::jsonb" if c in JSON_COLUMNS and connection.vendor == "postgresql"
                      else "%s" for c in COLUMNS)
    sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})"
    when = ops.adapt_datetimefield_value

    def adapt(r: DecisionRow) -> tuple[Any, ...]:
        return (r.case_id, r.encounter_id, r.batch.hex if sqlite else r.batch, r.outcome,
                r.individual_outcome, r.reasons, r.family_outcome, r.family_reasons,
                r.family_policy, r.rule_set_version, r.profile, r.decided_by_id,
                r.decided_by_label, when(r.decided_at), r.approved_by_id,
                when(r.approved_at) if r.approved_at else None)

    with connection.cursor() as cur:
        for i in range(0, len(rows), BATCH):
            cur.executemany(sql, [adapt(r) for r in rows[i:i + BATCH]])


def _first_decision_ids(case_ids: list[int]) -> dict[int, int]:
    first: dict[int, int] = {}
    for i in range(0, len(case_ids), BATCH):
        for case_id, pk in (ScreeningDecision.objects.filter(case_id__in=case_ids[i:i + BATCH])
                            .order_by("id").values_list("case_id", "id")):
            first.setdefault(case_id, pk)
    return first


def seed(ctx: SeedContext) -> None:
    rows = _rows(ctx)
    if not rows:
        ctx.say("screening: no encounters waiting for screening")
        return
    officer, label, supervisor = _actors()
    from garita.screening.services import rule_set_ensure_current

    rules = rule_set_ensure_current(actor="seed").to_domain()
    now = timezone.now()
    p = plan(rows, rules, ctx.rng, ctx.today, now, officer, label, supervisor)
    decisions, claims, referrals = p.decisions, p.claims, p.referrals
    final_status, counts = p.final_status, p.counts
    with transaction.atomic():
        _insert_decisions(decisions)
        first_ids = _first_decision_ids([c[0] for c in claims])
        fear_rows = [
            FearClaim(case_id=case_id, how=how, raised_at=at, raised_by=officer,
                      decision_id=first_ids[case_id], status_before=CaseStatus.ENCOUNTERED,
                      moved_case=True, status=fate,
                      interview_at=None if fate == FearStatus.OPEN else at + dt.timedelta(days=2),
                      notes="" if fate == FearStatus.OPEN else "Entrevista de no devolución.")
            for case_id, _idx, how, at, fate in claims
        ]
        FearClaim.objects.bulk_create(fear_rows, batch_size=BATCH)
        OrrReferral.objects.bulk_create(referrals, batch_size=BATCH)
        for status, ids in final_status.items():
            for i in range(0, len(ids), BATCH):
                Case.objects.filter(pk__in=ids[i:i + BATCH]).update(
                    status=status, status_changed_at=now)
        audit.record(actor="seed", action="seed.screening", object_type="screening.decision",
                     new={"decisions": len(decisions), "fear_claims": len(fear_rows),
                          "orr_referrals": len(referrals), "rule_set": rules.version,
                          "outcomes": dict(counts)})
    ctx.shared["amenable_case_ids"] = final_status.get(domain.Outcome.AMENABLE, [])
    ctx.shared["open_fear_case_ids"] = [c[0] for c in claims if c[4] == FearStatus.OPEN]
    ctx.say(
        f"screening: {len(rows)} people screened ({counts[domain.Outcome.AMENABLE]} amenable, "
        f"{counts[domain.Outcome.NOT_AMENABLE]} not amenable, "
        f"{counts[domain.Outcome.PENDING_FEAR_INTERVIEW]} waiting for a fear interview), "
        f"{len(fear_rows)} fear claims, {len(referrals)} ORR referrals"
    )
