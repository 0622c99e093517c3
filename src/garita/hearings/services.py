"""Writes on hearings: scheduling, hearing day, outcomes, rescission and mass rescheduling.

Every function is keyword-only, atomic, checks the actor's permission first and writes an
audit event; bad input raises a DomainError with a stable code and nothing is half-written.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from garita.accounts.permissions import has, require
from garita.accounts.roles import Permission
from garita.audit import services as audit
from garita.core.errors import Conflict, DomainError, PermissionDenied
from garita.hearings import bulk, domain, loader
from garita.hearings.models import (
    CourtSession,
    EarlyHearingWaiver,
    EscortRun,
    Hearing,
    HearingChange,
    HearingStatus,
    Outcome,
    Relief,
    RescheduleBatch,
)
from garita.intake.models import Case, CaseStatus
from garita.intake.services import case_transition
from garita.notifications.services import (
    HEARING_CHANGED,
    HEARING_SCHEDULED,
    CaseEvent,
    notify_bulk,
)
from garita.stats.services import note_change as note_stats_change

ERROR_MESSAGES: dict[str, Any] = {
    "hearing.too_soon": _("The first hearing must be at least 10 days after the Notice to "
                          "Appear is served, unless the person asked in writing for an "
                          "earlier date."),
    "hearing.session_full": _("This court session is full."),
    "hearing.no_interpreter": _("No interpreter for the person's language is available at "
                                "this court on that day."),
    "hearing.escort_full": _("The port cannot escort more people on that morning."),
    "hearing.wrong_court": _("The person's port does not feed this court or location."),
    "hearing.wrong_calendar": _("The session is on a different calendar."),
    "hearing.unknown_language": _("Garita does not know the person's language; correct it "
                                  "in intake first."),
    "hearing.family_split": _("Every member of a family unit must be in the same session."),
    "hearing.no_session": _("No court session with room is available."),
    "hearing.port_has_no_court": _("No court is set up for the person's port."),
    "checkin.in_future": _("A check-in cannot be recorded in the future."),
    "checkin.too_early": _("A check-in more than a day before the hearing belongs to another "
                           "hearing."),
    "checkin.not_at_port": _("This person does not report at a port for this hearing (they "
                             "come to court directly)."),
    "escort.empty": _("An escort run needs at least one person."),
    "escort.no_port": _("This hearing has no port to report to."),
    "escort.mixed_ports": _("One escort run leaves from one port: these people report at "
                            "different ports."),
    "escort.not_scheduled": _("Only people with a scheduled hearing can be escorted."),
    "escort.not_checked_in": _("Only people checked in at the port can be escorted."),
    "escort.already_in_run": _("Someone is already on another escort run."),
    "escort.over_capacity": _("More people than the port's escort capacity per run: form "
                              "another run for the rest."),
    "escort.already_arrived": _("This arrival at court is already recorded."),
    "escort.arrival_in_future": _("An arrival at court cannot be recorded in the future."),
    "escort.arrival_before_departure": _("The run cannot arrive before it left the port."),
    "escort.departure_in_future": _("A departure cannot be recorded in the future."),
}

# Rule refusals (the state of the case forbids it) are 409; the rest is bad input (400).
CONFLICT_CODES = frozenset({
    "escort.mixed_ports", "escort.not_scheduled", "escort.not_checked_in",
    "escort.already_in_run", "escort.over_capacity", "escort.already_arrived",
    "checkin.not_at_port",
})

# Why notice is not proven, for the person reading the refusal (codes in details.reasons).
NOT_PROVEN_REASONS: dict[str, Any] = {
    "no_nta": _("no Notice to Appear was issued"),
    "nta_without_time_and_place": _("the Notice to Appear had no time and place"),
    "nta_not_served": _("the Notice to Appear was not served"),
    "later_notice_not_served": _("a later notice of hearing was not served"),
    "mail_without_proof": _("a notice was mailed without proof of attempted delivery"),
    "hearing_not_noticed": _("the notice of this hearing's time and place was not served"),
}


def refusal(code: str, field_name: str | None = None, **details: Any) -> DomainError:
    return DomainError(code, ERROR_MESSAGES.get(code, code), field=field_name,
                       details=details or None,
                       status=409 if code in CONFLICT_CODES else None)


def reasons_text(codes: Sequence[str]) -> str:
    """The human reasons (translated) for a list of not-proven codes."""
    return "; ".join(str(NOT_PROVEN_REASONS.get(c, c)) for c in codes)


def _chunks(seq: Sequence[Any], n: int) -> list[Sequence[Any]]:
    return [seq[i:i + n] for i in range(0, len(seq), n)]


def _notify(events: list[CaseEvent]) -> int:
    """Queue notices for these events: inline for ordinary batches; for very large ones
    (a mass reschedule of a whole court) as notification tasks enqueued in this same
    transaction, which the worker fans out through the same idempotent notify_bulk."""
    from django.conf import settings

    inline_max = getattr(settings, "GARITA_NOTIFY_INLINE_MAX", 5000)
    total = 0
    if len(events) <= inline_max:
        for chunk in _chunks(events, 5000):
            total += notify_bulk(list(chunk))
        return total
    from garita.hearings.tasks import notify_events

    for chunk in _chunks(events, 5000):
        notify_events.enqueue([[e.case_id, e.event, e.hearing_id, e.version] for e in chunk])
    return 0


def _hearing_from(a: domain.Assignment, r: domain.Request, *, actor: Any,
                  calendar: str, family_key: str, previous: Hearing | None = None) -> Hearing:
    return Hearing(
        case_id=a.case_id, session_id=a.slot_id, court_id=a.court_id, location_id=a.location_id,
        calendar=calendar, starts_at=a.starts_at, report_port_id=a.report_port_id,
        report_at=a.report_at, language=r.language, interpreter_mode=a.interpreter_mode,
        family_key=family_key, served_at=r.served_at, waiver=r.waiver,
        created_by=actor if getattr(actor, "pk", None) else None, previous=previous,
    )


HEARING_COLUMNS = ("case_id", "session_id", "court_id", "location_id", "calendar", "starts_at",
                   "report_port_id", "report_at", "status", "outcome", "language",
                   "interpreter_mode", "family_key", "served_at", "waiver", "relief",
                   "outcome_notes", "version", "created_by_id", "created_at")


@dataclass
class ScheduleReport:
    scheduled: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    hearing_ids: list[int] = field(default_factory=list)


@transaction.atomic
def schedule_unscheduled(
    *, actor: Any, case_ids: Sequence[int] | None = None,
    progress: Callable[[int, int], None] | None = None, notify: bool = True,
) -> ScheduleReport:
    """First master-calendar hearing for every case without one (or just `case_ids`)."""
    note_stats_change()  # hearings and outcomes feed the statistics
    require(actor, Permission.HEARING_SCHEDULE)
    now = timezone.now()
    requests = loader.requests_for(case_ids, served_at=now)
    report = ScheduleReport()
    if not requests:
        return report
    sched = loader.build_scheduler(since=now)
    existing = loader.family_sessions({r.family_key for r in requests if r.family_key})
    joining = [r for r in requests if r.family_key in existing]
    fresh = [r for r in requests if r.family_key not in existing]
    total = len(requests)
    result = sched.schedule(fresh, progress=(lambda n: progress(n, total)) if progress else None)
    for r in joining:  # a late member joins the family's session or is refused
        slot = sched.slots.get(existing[r.family_key])
        code = sched.check([r], slot) if slot else "hearing.family_split"
        if code is None and slot is not None:
            result.assignments.extend(sched.place([r], slot))
        else:
            result.refused.append(domain.Refusal(r.case_id, "hearing.family_split"))
    by_id = {r.case_id: r for r in requests}
    stamp = bulk.batch_stamp()
    created_by = actor.pk if getattr(actor, "pk", None) else None
    starts = {a.case_id: a.starts_at for a in result.assignments}
    rows = []
    for a in result.assignments:
        r = by_id[a.case_id]
        rows.append((a.case_id, a.slot_id, a.court_id, a.location_id, "master", a.starts_at,
                     a.report_port_id, a.report_at, HearingStatus.SCHEDULED.value, "",
                     r.language, a.interpreter_mode, r.family_key, r.served_at, r.waiver, "",
                     "", 1, created_by, stamp))
    bulk.insert_rows(Hearing, HEARING_COLUMNS, rows)
    created = [(hid, cid, starts[cid]) for hid, cid in bulk.raw_rows(
        Hearing.objects.filter(created_at=stamp).values_list("id", "case_id"))]
    report.scheduled = len(created)
    report.hearing_ids = [hid for hid, _c, _s in created]
    report.refused = Counter(f.code for f in result.refused)
    if progress:
        progress(total, total)
    if notify:
        _notify([CaseEvent(cid, HEARING_SCHEDULED, hid, starts.isoformat())
                 for hid, cid, starts in created])
    audit.record(actor=actor, action="hearing.schedule_bulk", object_type="hearings.hearing",
                 new={"scheduled": report.scheduled, "refused": dict(report.refused)})
    return report


def parse_hearing_time(text: str, tz_name: str) -> dt.datetime:
    """An ISO 8601 time that must carry the court's UTC offset at that moment."""
    try:
        value = dt.datetime.fromisoformat(text)
    except (TypeError, ValueError) as exc:
        raise DomainError("hearing.bad_time", _("The time is not ISO 8601."),
                          field="starts_at") from exc
    if value.tzinfo is None:
        raise DomainError("hearing.naive_time", _("Give the time with its UTC offset."),
                          field="starts_at")
    expected = value.astimezone(domain.zone(tz_name)).utcoffset()
    if value.utcoffset() != expected:
        raise DomainError(
            "hearing.wrong_timezone",
            _("The time's offset does not match the court's time zone (%(tz)s).")
            % {"tz": tz_name}, field="starts_at",
        )
    return value


@transaction.atomic
def hearing_schedule(
    *, actor: Any, case: Case, session: CourtSession | None = None,
    served_at: dt.datetime | None = None, calendar: str = "master",
    previous: Hearing | None = None,
) -> list[Hearing]:
    """Schedule one case (with its unscheduled family members) into a session, or the
    earliest that fits when `session` is None. Refused whole if any constraint fails."""
    note_stats_change()  # hearings and outcomes feed the statistics
    require(actor, Permission.HEARING_SCHEDULE)
    case = Case.objects.select_for_update().select_related("person__encounter").get(pk=case.pk)
    lang = case.person.primary_language
    if lang not in domain.KNOWN_LANGUAGES:
        raise refusal("hearing.unknown_language", "language", language=lang)
    if previous is None and case.hearings.filter(status=HearingStatus.SCHEDULED).exists():
        raise DomainError("hearing.already_scheduled",
                          _("This case already has a scheduled hearing."), status=409)
    if previous is None and case.status not in loader.SCHEDULABLE:
        raise DomainError("hearing.case_not_schedulable",
                          _("A case in this state does not get a hearing."), status=409)
    now = timezone.now()
    served = served_at or now
    req = loader.requests_for([case.pk], served_at=served, calendar=calendar) or [
        domain.Request(case_id=case.pk, port_id=case.port_id, language=lang, served_at=served,
                       calendar=calendar,
                       family_key=f"e{case.person.encounter_id}"
                       if case.person.encounter.family_type == "family_unit" else "",
                       needs_escort=case.status != CaseStatus.NOT_AMENABLE,
                       waiver=EarlyHearingWaiver.objects.filter(case=case).exists())]
    head = req[0]
    group = [head]
    if head.family_key:
        existing = loader.family_sessions([head.family_key])
        if head.family_key in existing and previous is None:
            if session is not None and session.pk != existing[head.family_key]:
                raise refusal("hearing.family_split", "session")
            session = CourtSession.objects.get(pk=existing[head.family_key])
        elif previous is None:
            group = loader.requests_for(_family_case_ids(case), served_at=served,
                                        calendar=calendar) or [head]
    sched = loader.build_scheduler(since=min(now, served))
    if session is not None:
        slot = sched.slots.get(session.pk)
        if slot is None:
            raise DomainError("hearing.no_session", _("That session is not open for scheduling."),
                              field="session")
        code = sched.check(group, slot)
        if code is not None:
            raise refusal(code, "session")
    else:
        got = sched.first_fit(group)
        if isinstance(got, str):
            raise refusal(got)
        slot = got
    assignments = sched.place(group, slot)
    by_id = {r.case_id: r for r in group}
    rows = [_hearing_from(a, by_id[a.case_id], actor=actor, calendar=calendar,
                          family_key=by_id[a.case_id].family_key, previous=previous)
            for a in assignments]
    created = []
    for h in rows:
        h.save()
        created.append(h)
        audit.record(actor=actor, action="hearing.schedule", obj=h,
                     new={"case": h.case_id, "session": h.session_id,
                          "starts_at": h.starts_at, "report_at": h.report_at,
                          "interpreter": h.interpreter_mode})
    _notify([CaseEvent(h.case_id, HEARING_SCHEDULED, h.pk, h.starts_at.isoformat())
             for h in created])
    return created


def _family_case_ids(case: Case) -> list[int]:
    return list(Case.objects.filter(person__encounter_id=case.person.encounter_id)
                .values_list("pk", flat=True))


@transaction.atomic
def waiver_record(*, actor: Any, case: Case, signed_at: dt.datetime, note: str = ""
                  ) -> EarlyHearingWaiver:
    """The person asked in writing for an earlier first hearing (1229(b)(1))."""
    require(actor, Permission.HEARING_SCHEDULE)
    w = EarlyHearingWaiver.objects.create(case=case, signed_at=signed_at, recorded_by=actor,
                                          note=note)
    audit.record(actor=actor, action="hearing.waiver", obj=w, new={"case": case.pk})
    return w


def _locked(hearing: Hearing) -> Hearing:
    return Hearing.objects.select_for_update().select_related("case").get(pk=hearing.pk)


@transaction.atomic
def hearing_check_in(*, actor: Any, hearing: Hearing, at: dt.datetime | None = None) -> Hearing:
    """The person presented at the port on the hearing morning (at the time given, or now)."""
    require(actor, Permission.PORT_CHECKIN)
    h = _locked(hearing)
    if h.status != HearingStatus.SCHEDULED:
        raise DomainError("hearing.not_scheduled", _("This hearing is not scheduled."),
                          status=409)
    if h.checked_in_at is not None:
        raise DomainError("checkin.already", _("This person is already checked in."),
                          status=409)
    if h.report_port_id is None:
        raise refusal("checkin.not_at_port")
    now = timezone.now()
    at = at or now
    code = domain.check_in_problem(at=at, starts_at=h.starts_at, now=now)
    if code is not None:
        raise refusal(code, "at")
    h.checked_in_at = at
    h.checked_in_by = actor
    h.save(update_fields=["checked_in_at", "checked_in_by"])
    audit.record(actor=actor, action="hearing.check_in", obj=h,
                 new={"checked_in_at": h.checked_in_at})
    return h


def escort_capacity(port_id: int) -> int:
    """Persons per escort run at this port (the admin sets it per port)."""
    from garita.hearings.models import PortHearingSettings

    got = (PortHearingSettings.objects.filter(port_id=port_id)
           .values_list("escort_persons_per_run", flat=True).first())
    return got if got is not None else PortHearingSettings._meta.get_field(
        "escort_persons_per_run").default


@transaction.atomic
def escort_run_start(*, actor: Any, hearings: Sequence[Hearing],
                     departed_at: dt.datetime | None = None) -> EscortRun:
    """An escort run leaves the port with these checked-in people, within the port's
    persons per run. Refused whole (nothing written) if anyone cannot go."""
    require(actor, Permission.PORT_CHECKIN)
    ids = list(dict.fromkeys(h.pk for h in hearings))
    # Lock the hearings only (PostgreSQL refuses FOR UPDATE across the nullable port join).
    locked = {h.pk: h for h in Hearing.objects.select_for_update(of=("self",))
              .filter(pk__in=ids).select_related("report_port")}
    members = [domain.EscortMember(
        hearing_id=i, report_port_id=locked[i].report_port_id,
        scheduled=locked[i].status == HearingStatus.SCHEDULED,
        checked_in=locked[i].checked_in_at is not None,
        in_run=locked[i].escort_run_id is not None) for i in ids if i in locked]
    port_id = members[0].report_port_id if members else None
    problem = domain.escort_run_problem(
        members, persons_per_run=escort_capacity(port_id) if port_id else 0)
    if problem is not None:
        code, which = problem
        raise refusal(code, "hearings", hearings=which)
    now = timezone.now()
    departed = departed_at or now
    if departed > now + domain.CLOCK_SKEW:
        raise refusal("escort.departure_in_future", "departed_at")
    port = locked[ids[0]].report_port
    assert port is not None  # escort_run_problem refuses anyone without a port to report at
    day = departed.astimezone(domain.zone(port.timezone)).date()
    seq = (EscortRun.objects.select_for_update().filter(port=port, date=day)
           .order_by("-sequence").values_list("sequence", flat=True).first() or 0) + 1
    run = EscortRun.objects.create(port=port, date=day, sequence=seq, departed_at=departed,
                                   created_by=actor)
    Hearing.objects.filter(pk__in=ids).update(escort_run=run)
    audit.record(actor=actor, action="escort.start", obj=run,
                 new={"hearings": ids, "departed_at": departed})
    return run


@transaction.atomic
def escort_run_arrive(*, actor: Any, run: EscortRun, arrived_at: dt.datetime | None = None
                      ) -> EscortRun:
    """The run reached the court: everyone on it arrived at that time."""
    require(actor, Permission.PORT_CHECKIN)
    run = EscortRun.objects.select_for_update().get(pk=run.pk)
    now = timezone.now()
    at = arrived_at or now
    code = domain.arrival_problem(departed_at=run.departed_at, arrived_at=at,
                                  already_arrived=run.arrived_at is not None, now=now)
    if code is not None:
        raise refusal(code, "arrived_at")
    run.arrived_at = at
    run.save(update_fields=["arrived_at"])
    Hearing.objects.filter(escort_run=run).update(arrived_at_court_at=run.arrived_at)
    audit.record(actor=actor, action="escort.arrive", obj=run,
                 new={"arrived_at": run.arrived_at})
    return run


@transaction.atomic
def hearing_arrive_at_court(*, actor: Any, hearing: Hearing,
                            at: dt.datetime | None = None) -> Hearing:
    """A person who came to court on their own (not on an escort run) arrived."""
    if not any(has(actor, p) for p in (Permission.HEARING_RECORD_OUTCOME,
                                        Permission.PORT_CHECKIN)):
        raise PermissionDenied()
    h = _locked(hearing)
    if h.status != HearingStatus.SCHEDULED:
        raise DomainError("hearing.not_scheduled", _("This hearing is not scheduled."),
                          status=409)
    now = timezone.now()
    when = at or now
    code = domain.arrival_problem(departed_at=None, arrived_at=when,
                                  already_arrived=h.arrived_at_court_at is not None, now=now)
    if code is not None:
        raise refusal(code, "arrived_at")
    h.arrived_at_court_at = when
    h.save(update_fields=["arrived_at_court_at"])
    audit.record(actor=actor, action="hearing.arrive", obj=h, new={"arrived_at": when})
    return h


OUTCOME_STATUS: dict[str, CaseStatus] = {
    Outcome.RELIEF_GRANTED: CaseStatus.RELIEF_GRANTED,
    Outcome.REMOVAL_ORDERED: CaseStatus.REMOVAL_ORDERED,
    Outcome.REMOVAL_IN_ABSENTIA: CaseStatus.REMOVAL_ORDERED_IN_ABSENTIA,
    Outcome.TERMINATED: CaseStatus.TERMINATED,
    Outcome.TAKEN_OFF_MPP: CaseStatus.REMOVED_FROM_MPP,
}


def notice_facts(case: Case) -> list[domain.NoticeFact]:
    from garita.notices.models import Notice

    return [
        domain.NoticeFact(kind=n.kind, issued_at=n.issued_at, served=n.served_at is not None,
                          has_time_and_place=bool(n.content.get("hearing_at")
                                                  and n.content.get("location_address")),
                          method=n.service_method, proof=n.service_proof)
        for n in Notice.objects.filter(case=case).only(
            "kind", "issued_at", "served_at", "content", "service_method", "service_proof")
    ]


def absence_refusal(h: Hearing) -> DomainError | None:
    """Why this hearing can never be recorded as the person's absence, or None."""
    if domain.checked_in_in_time(checked_in_at=h.checked_in_at, starts_at=h.starts_at):
        return DomainError(
            "hearing.late_escort_not_absence",
            _("The person checked in at the port on time; a late escort is never a failure "
              "to appear. Continue the hearing instead."), status=409,
        )
    if h.arrived_at_court_at is not None and h.arrived_at_court_at <= h.starts_at:
        return DomainError(
            "hearing.arrived_not_absence",
            _("The person was at the court before the hearing began; that is not a failure "
              "to appear."), status=409,
        )
    return None


def in_absentia_blockers(hearing: Hearing) -> list[str]:
    """Why an in-absentia order is not allowed for this hearing (empty: allowed)."""
    reasons = domain.notice_not_proven_reasons(notice_facts(hearing.case))
    if hearing.noticed_at is None:
        reasons.append("hearing_not_noticed")
    return sorted(set(reasons))


@transaction.atomic
def hearing_record_outcome(
    *, actor: Any, hearing: Hearing, outcome: str, relief: str = "", notes: str = "",
    continue_to: CourtSession | None = None, continue_calendar: str = "master",
    at: dt.datetime | None = None,
) -> Hearing:
    """Record what happened at a hearing that has taken place, and move the case."""
    note_stats_change()  # hearings and outcomes feed the statistics
    require(actor, Permission.HEARING_RECORD_OUTCOME)
    if outcome not in Outcome.values:
        raise DomainError("hearing.unknown_outcome", _("Unknown outcome."), field="outcome")
    h = _locked(hearing)
    now = at or timezone.now()
    if h.starts_at > now:
        raise DomainError("hearing.not_yet_held",
                          _("This hearing has not happened yet; its outcome cannot be recorded."),
                          status=409)
    if h.status != HearingStatus.SCHEDULED or h.outcome:
        raise DomainError("hearing.outcome_already_recorded",
                          _("This hearing already has an outcome."), status=409)
    if outcome in domain.ABSENCE_OUTCOMES:
        refused = absence_refusal(h)
        if refused is not None:
            raise refused
    if outcome == Outcome.REMOVAL_IN_ABSENTIA:
        blockers = in_absentia_blockers(h)
        if blockers:
            raise DomainError(
                "hearing.notice_not_proven",
                _("Notice is not proven, so no order in absentia: %(why)s.")
                % {"why": reasons_text(blockers)}, status=409, details={"reasons": blockers},
            )
    if outcome == Outcome.RELIEF_GRANTED and relief not in Relief.values:
        raise DomainError("hearing.relief_required",
                          _("Say which relief was granted: asylum, withholding or CAT."),
                          field="relief")
    h.status = HearingStatus.HELD
    h.outcome = outcome
    h.outcome_at = now
    h.outcome_by = actor
    h.outcome_notes = notes
    h.relief = relief if outcome == Outcome.RELIEF_GRANTED else ""
    if outcome == Outcome.REMOVAL_IN_ABSENTIA:
        h.rescission_deadline = domain.rescission_deadline(now.date())
    h.save()
    audit.record(actor=actor, action="hearing.outcome", obj=h,
                 new={"outcome": outcome, "relief": h.relief, "notes": notes})
    case = h.case
    target = OUTCOME_STATUS.get(outcome)
    if target is not None:
        if case.status == CaseStatus.NTA_ISSUED:
            case = case_transition(actor=actor, case=case, to=CaseStatus.IN_PROCEEDINGS,
                                   reason=f"hearing {h.pk}")
        case_transition(actor=actor, case=case, to=target, reason=f"hearing {h.pk}: {outcome}")
    if outcome == Outcome.CONTINUED:
        new = hearing_schedule(actor=actor, case=case, session=continue_to,
                               calendar=continue_calendar, previous=h)
        from garita.notices.services import hearing_notice_issue

        for nh in new:
            hearing_notice_issue(actor=actor, hearing=nh, served_in_court=True)
    return h


@transaction.atomic
def in_absentia_rescind(*, actor: Any, hearing: Hearing, ground: str, reason: str) -> Hearing:
    """Rescind an in-absentia order: exceptional circumstances within 180 days, or lack of
    notice at any time."""
    require(actor, Permission.HEARING_RECORD_OUTCOME)
    h = _locked(hearing)
    if h.outcome != Outcome.REMOVAL_IN_ABSENTIA or h.rescinded_at:
        raise DomainError("hearing.not_in_absentia", _("There is no in-absentia order to "
                                                       "rescind."), status=409)
    if ground not in ("exceptional", "no_notice"):
        raise DomainError("hearing.bad_ground", _("Unknown ground."), field="ground")
    if not reason.strip():
        raise DomainError("hearing.reason_required", _("Give a reason."), field="reason")
    today = timezone.now().date()
    if ground == "exceptional" and h.rescission_deadline and today > h.rescission_deadline:
        raise DomainError("hearing.rescission_window_closed",
                          _("The 180-day window for exceptional circumstances has closed."),
                          status=409)
    h.rescinded_at = timezone.now()
    h.save(update_fields=["rescinded_at"])
    case_transition(actor=actor, case=h.case, to=CaseStatus.IN_PROCEEDINGS,
                    reason=f"rescinded ({ground}): {reason}")
    audit.record(actor=actor, action="hearing.rescind", obj=h,
                 new={"ground": ground, "reason": reason})
    return h


# --- Mass rescheduling ------------------------------------------------------------------


@dataclass(frozen=True)
class RescheduleFilter:
    court_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    calendar: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"court_id": self.court_id,
                "date_from": self.date_from.isoformat() if self.date_from else None,
                "date_to": self.date_to.isoformat() if self.date_to else None,
                "calendar": self.calendar}


@dataclass
class ReschedulePlan:
    matched: int = 0
    on_target: int = 0
    later_than_target: int = 0
    conflicts: Counter[str] = field(default_factory=Counter)
    sample: list[dict[str, Any]] = field(default_factory=list)
    moves: list[tuple[dict[str, Any], domain.Assignment, dt.date]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {"matched": self.matched, "on_target": self.on_target,
                "later_than_target": self.later_than_target,
                "conflicts": dict(self.conflicts), "sample": self.sample}


def _matching(flt: RescheduleFilter) -> list[dict[str, Any]]:
    qs = Hearing.objects.filter(status=HearingStatus.SCHEDULED)
    tz = "UTC"
    if flt.court_id is not None:
        qs = qs.filter(court_id=flt.court_id)
        from garita.hearings.models import Court

        tz = Court.objects.get(pk=flt.court_id).timezone
    if flt.calendar:
        qs = qs.filter(calendar=flt.calendar)
    z = domain.zone(tz)
    if flt.date_from:
        qs = qs.filter(starts_at__gte=dt.datetime.combine(flt.date_from, dt.time(), z))
    if flt.date_to:
        qs = qs.filter(starts_at__lt=dt.datetime.combine(flt.date_to + dt.timedelta(days=1),
                                                         dt.time(), z))
    return [dict(zip(MATCH_FIELDS, row, strict=True))
            for row in qs.order_by("starts_at", "id").values_list(*MATCH_FIELDS)]


MATCH_FIELDS = (
    "id", "case_id", "session_id", "starts_at", "calendar", "language", "family_key",
    "report_port_id", "report_at", "case__port_id", "location__timezone", "court__timezone",
    "court_id", "case__a_number", "case__person__given_names", "case__person__surnames",
    "case__person__aliases", "case__person__nationality", "case__person__languages",
)


def reschedule_plan(flt: RescheduleFilter, rule: domain.RescheduleRule) -> ReschedulePlan:
    """Where every matching hearing would go; changes nothing."""
    rows = _matching(flt)
    plan = ReschedulePlan(matched=len(rows))
    if not rows:
        return plan
    now = timezone.now()
    sched = loader.build_scheduler(since=now, exclude=[
        (r["session_id"], r["report_port_id"], r["report_at"]) for r in rows
        if r["starts_at"] >= now])
    # Families in one session move together: they share a request group.
    groups: dict[tuple[str, int], list[tuple[dict[str, Any], domain.Request, dt.date]]] = {}
    order: list[tuple[str, int]] = []
    for row in rows:
        tz = row["location__timezone"] or row["court__timezone"]
        old_local = row["starts_at"].astimezone(domain.zone(tz))
        target = rule.target(old_local.date())
        not_before = max(now, dt.datetime.combine(target, dt.time(), domain.zone(tz)))
        req = domain.Request(
            case_id=row["case_id"], port_id=row["case__port_id"], language=row["language"],
            served_at=now, waiver=True, needs_escort=row["report_port_id"] is not None,
            calendar=row["calendar"], not_before=not_before,
        )
        key = (row["family_key"] or f"h{row['id']}", row["session_id"] or 0)
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append((row, req, target))
    for key in order:
        members = groups[key]
        reqs = [m[1] for m in members]
        got = sched.first_fit(reqs)
        if isinstance(got, str):
            plan.conflicts[got] += len(members)
            if len(plan.sample) < 20:
                plan.sample.append({"hearing": members[0][0]["id"], "conflict": got})
            continue
        for (row, _req, target), a in zip(members, sched.place(reqs, got), strict=True):
            plan.moves.append((row, a, target))
            if sched.local_date(got) == target:
                plan.on_target += 1
            else:
                plan.later_than_target += 1
    return plan


def reschedule_preview(*, actor: Any, flt: RescheduleFilter, rule: domain.RescheduleRule
                       ) -> dict[str, Any]:
    require(actor, Permission.HEARING_RESCHEDULE_MASS)
    return reschedule_plan(flt, rule).summary()


@transaction.atomic
def reschedule_apply(*, actor: Any, flt: RescheduleFilter, rule: domain.RescheduleRule,
                     reason: str) -> RescheduleBatch:
    """Move every matching hearing by the rule, re-notice everyone, mark cases changed.

    One transaction: if any hearing cannot be placed, nothing changes.
    """
    note_stats_change()  # hearings and outcomes feed the statistics
    require(actor, Permission.HEARING_RESCHEDULE_MASS)
    if not reason.strip():
        raise DomainError("reschedule.reason_required", _("Give the reason for the change."),
                          field="reason")
    plan = reschedule_plan(flt, rule)
    if plan.matched == 0:
        raise DomainError("reschedule.nothing_matches", _("No scheduled hearing matches."))
    if plan.conflicts:
        raise Conflict("reschedule.conflicts",
                       _("Some hearings cannot be placed; nothing was changed."),
                       details={"conflicts": dict(plan.conflicts), "sample": plan.sample})
    now = timezone.now()
    batch = RescheduleBatch.objects.create(
        filters=flt.as_dict(), rule=rule.as_dict(), reason=reason, moved=len(plan.moves),
        moved_later=plan.later_than_target,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    params = []
    changes = []
    adapt = bulk.fast_datetime
    for row, a, _target in plan.moves:
        changes.append((row["id"], batch.pk, row["starts_at"], a.starts_at, row["session_id"],
                        a.slot_id, reason, now))
        params.append((a.slot_id, a.location_id, adapt(a.starts_at),
                       adapt(a.report_at) if a.report_at else None, a.interpreter_mode,
                       row["id"]))
    bulk.insert_rows(HearingChange, ("hearing_id", "batch_id", "old_starts_at", "new_starts_at",
                                     "old_session_id", "new_session_id", "reason",
                                     "changed_at"), changes)
    table = Hearing._meta.db_table
    with connection.cursor() as cur:
        cur.executemany(
            f"UPDATE {table} SET session_id = %s, location_id = %s, starts_at = %s, "  # noqa: S608
            f"report_at = %s, interpreter_mode = %s, noticed_at = NULL, "
            f"version = version + 1 WHERE id = %s",
            params,
        )
    case_ids = sorted({row["case_id"] for row, _a, _t in plan.moves})
    for chunk in _chunks(case_ids, 5000):
        Case.objects.filter(pk__in=list(chunk)).update(info_changed_at=now)
    from garita.notices.services import hearing_notices_bulk

    hearing_notices_bulk(moves=[(row, a) for row, a, _t in plan.moves], actor=actor,
                         batch=batch)
    _notify([CaseEvent(row["case_id"], HEARING_CHANGED, row["id"], a.starts_at.isoformat())
             for row, a, _t in plan.moves])
    audit.record(actor=actor, action="hearing.reschedule_mass", obj=batch,
                 new={"filters": flt.as_dict(), "rule": rule.as_dict(), "moved": batch.moved,
                      "later_than_target": batch.moved_later, "reason": reason})
    return batch
