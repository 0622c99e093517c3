"""Issuing and serving notices: the NTA (with the look-up PIN), hearing notices, tear sheets.

An NTA is refused without a scheduled hearing (time and place) and, unless a supervisor
overrides with a written reason, without a confirmed, real address. Serving a notice sets
the hearing's `noticed_at`; serving the NTA enforces the 10-day rule.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from garita.accounts.permissions import has, require
from garita.accounts.roles import Permission
from garita.audit import services as audit
from garita.core.errors import DomainError, PermissionDenied
from garita.hearings import domain
from garita.hearings.models import Hearing, HearingStatus, RescheduleBatch
from garita.intake.models import Address, Case, CaseStatus
from garita.intake.pins import new_pin, pin_digest
from garita.intake.services import case_transition
from garita.notices.models import Acknowledgement, Notice, NoticeKind, ServiceMethod

LANGUAGE_NAMES = domain.KNOWN_LANGUAGES


def address_text(addr: Address | None) -> str:
    if addr is None:
        return ""
    parts = [addr.line1, addr.neighborhood, addr.city, addr.state, addr.postal_code,
             addr.country]
    if addr.shelter_id:
        parts.insert(0, str(addr.shelter))
    return ", ".join(p for p in parts if p)


def hearing_content(h: Hearing, *, case: Case | None = None) -> dict[str, Any]:
    """The facts every notice about this hearing states."""
    case = case or h.case
    person = case.person
    loc = h.location
    port = h.report_port
    content: dict[str, Any] = {
        "a_number": case.a_number,
        "name": person.full_name,
        "aliases": person.aliases or [],
        "nationality": person.nationality,
        "language": h.language or person.primary_language,
        "language_name": LANGUAGE_NAMES.get(person.primary_language, person.primary_language),
        "hearing_at": h.starts_at.isoformat(),
        "tz": loc.tz,
        "court_name": h.court.name,
        "court_address": h.court.address,
        "location_name": loc.name,
        "location_address": loc.address,
        "video_from": loc.video_to_court.name if loc.video_to_court is not None else "",
        "calendar": h.calendar,
        "hearing_id": h.pk,
        "interpreter": h.interpreter_mode,
    }
    if port is not None and h.report_at is not None:
        content.update(report_at=h.report_at.isoformat(), port_name=port.name,
                       port_address=port.address, port_tz=port.timezone)
    else:
        content["port_tz"] = case.port.timezone
    return content


def _encounter_day(case: Case) -> dt.date:
    """The day of arrival at the port's own clock (an evening arrival at Laredo is that
    day's, not the next UTC day's)."""
    enc = case.person.encounter
    return enc.occurred_at.astimezone(domain.zone(enc.port.timezone)).date()


def _store_pdf(notice: Notice, pdf: bytes) -> None:
    notice.pdf = pdf
    notice.pdf_sha256 = hashlib.sha256(pdf).hexdigest()


# Languages the NTA and hearing notices are fully written in (complete catalogues). A
# Portuguese or Haitian Creole speaker gets them in English and the tear sheet in both.
NOTICE_LANGUAGES = ("en", "es")


def _ui_lang(lang_639_3: str) -> str:
    """The language a notice for this person is rendered (and recorded) in."""
    return "es" if lang_639_3 == "spa" else "en"


@transaction.atomic
def nta_issue(*, actor: Any, case: Case, override_reason: str = "", language: str = "",
              rng: Any = None, render_pdf: bool = True) -> tuple[Notice, str]:
    """Issue the Notice to Appear (and its tear sheet) for the case's scheduled hearing.

    Returns the notice and the plain look-up PIN, which exists only on the document.
    """
    require(actor, Permission.NOTICE_ISSUE)
    if language and language not in NOTICE_LANGUAGES:
        raise DomainError("notice.language_unavailable",
                          _("The Notice to Appear is available in English or Spanish; the "
                            "tear sheet adds Portuguese and Haitian Creole."), field="language")
    case = Case.objects.select_for_update().select_related("person__encounter", "port").get(
        pk=case.pk)
    hearing = (case.hearings.filter(status=HearingStatus.SCHEDULED)
               .select_related("location__court", "location__video_to_court", "court",
                               "report_port").order_by("starts_at").first())
    if hearing is None:
        raise DomainError("notice.no_hearing",
                          _("A Notice to Appear needs a hearing time and place: schedule the "
                            "hearing first."), status=409)
    if case.notices.filter(kind=NoticeKind.NTA, superseded=False).exists():
        raise DomainError("notice.nta_exists",
                          _("This case already has a Notice to Appear."), status=409)
    addr = case.addresses.order_by("-given_at", "-id").first()
    bad_address = addr is None or addr.is_placeholder or not addr.confirmed
    override_reason = override_reason.strip()
    if bad_address:
        if not override_reason:
            raise DomainError(
                "notice.address_placeholder",
                _("The address is missing, a placeholder or not confirmed. Correct it, or a "
                  "supervisor may override with a written reason."), field="address",
                status=409,
            )
        if not has(actor, Permission.NOTICE_OVERRIDE_ADDRESS):
            raise PermissionDenied(_("Only a supervisor can override an address."),
                                   code="notice.override_not_allowed")
    pin = new_pin(rng)
    case.lookup_pin_digest = pin_digest(case.a_number, pin)
    case.save(update_fields=["lookup_pin_digest", "updated_at"])
    now = timezone.now()
    content = hearing_content(hearing, case=case)
    content.update(
        address=address_text(addr), mpp=case.status != CaseStatus.NOT_AMENABLE,
        encountered_on=_encounter_day(case).isoformat(),
        issued_at=now.isoformat(), issued_by=actor.get_username(),
        providers=hearing.court.legal_service_providers,
        address_override_reason=override_reason if bad_address else "",
    )
    lang = language or _ui_lang(case.person.primary_language)
    nta = Notice(case=case, hearing=hearing, kind=NoticeKind.NTA, language=lang,
                 content=content, issued_at=now, issued_by=actor,
                 address_override_reason=override_reason if bad_address else "",
                 address_override_by=actor if bad_address else None)
    if render_pdf:
        # The plain PIN is printed, never stored: the PDF is the served record.
        from garita.notices import render

        _store_pdf(nta, render.render_nta({**content, "pin": pin}, lang))
    nta.save()
    if hearing.report_at is not None:
        Notice.objects.create(case=case, hearing=hearing, kind=NoticeKind.TEAR_SHEET,
                              language=content["language"], content=content, issued_at=now,
                              issued_by=actor)
    if case.status in (CaseStatus.AMENABLE, CaseStatus.NOT_AMENABLE):
        case_transition(actor=actor, case=case, to=CaseStatus.NTA_ISSUED,
                        reason=f"NTA {nta.pk}")
    audit.record(actor=actor, action="notice.nta_issue", obj=nta,
                 new={"case": case.pk, "hearing": hearing.pk, "hearing_at": hearing.starts_at,
                      "address_override": bool(bad_address), "reason": override_reason})
    return nta, pin


@transaction.atomic
def hearing_notice_issue(*, actor: Any, hearing: Hearing, served_in_court: bool = False,
                         previous_at: dt.datetime | None = None, reason: str = "") -> Notice:
    """Written notice of a new or changed hearing (and a tear sheet when the person reports
    at a port); handed over in court when the hearing was continued from the bench."""
    require(actor, Permission.HEARING_SCHEDULE)
    hearing = Hearing.objects.select_related(
        "case__person", "case__port", "location__court", "location__video_to_court", "court",
        "report_port").get(pk=hearing.pk)
    now = timezone.now()
    content = hearing_content(hearing)
    if previous_at:
        content.update(previous_at=previous_at.isoformat(), reason=reason)
    lang = _ui_lang(hearing.case.person.primary_language)
    notice = Notice.objects.create(
        case=hearing.case, hearing=hearing, kind=NoticeKind.HEARING_NOTICE, language=lang,
        content=content, issued_at=now, issued_by=actor if getattr(actor, "pk", None) else None,
    )
    if hearing.report_at is not None:
        Notice.objects.create(case=hearing.case, hearing=hearing, kind=NoticeKind.TEAR_SHEET,
                              language=content["language"], content=content, issued_at=now,
                              issued_by=notice.issued_by)
    audit.record(actor=actor, action="notice.hearing_notice_issue", obj=notice,
                 new={"hearing": hearing.pk})
    if served_in_court:
        notice_record_service(actor=actor, notice=notice,
                              method=ServiceMethod.IN_PERSON,
                              acknowledgement=Acknowledgement.SIGNED, served_at=now)
    return notice


NOTICE_COLUMNS = ("case_id", "hearing_id", "kind", "language", "content", "issued_at",
                  "issued_by_id", "address_override_reason", "superseded",
                  "service_method", "acknowledgement", "service_proof", "pdf_sha256",
                  "reschedule_batch_id")


def hearing_notices_bulk(*, moves: Sequence[tuple[dict[str, Any], Any]], actor: Any,
                         batch: RescheduleBatch) -> int:
    """A notice of hearing (and a tear sheet) for every rescheduled hearing, in bulk.

    `moves` are (the hearing as it was, with its person's facts; its new assignment).
    Content is the facts stated; the PDF renders on first download (these notices carry no
    PIN). Runs inside the reschedule's transaction, from plain rows, to stay fast at 100,000.
    """
    from garita.core.models import Port
    from garita.hearings import bulk
    from garita.hearings.models import HearingLocation

    locs = {loc.pk: loc for loc in HearingLocation.objects.select_related(
        "court", "video_to_court")}
    ports = {p.pk: p for p in Port.objects.all()}
    now = timezone.now()
    issued_by = actor.pk if getattr(actor, "pk", None) else None
    rows: list[tuple[Any, ...]] = []
    for d, a in moves:
        loc = locs[a.location_id]
        langs = bulk.parse_json(d["case__person__languages"]) or ["spa"]
        aliases = bulk.parse_json(d["case__person__aliases"]) or []
        content: dict[str, Any] = {
            "a_number": d["case__a_number"],
            "name": f"{d['case__person__given_names']} {d['case__person__surnames']}",
            "aliases": aliases, "nationality": d["case__person__nationality"],
            "language": d["language"] or langs[0],
            "language_name": LANGUAGE_NAMES.get(langs[0], langs[0]),
            "hearing_at": a.starts_at.isoformat(), "tz": loc.tz,
            "court_name": loc.court.name, "court_address": loc.court.address,
            "location_name": loc.name,
            "location_address": loc.address,
            "video_from": loc.video_to_court.name if loc.video_to_court is not None else "",
            "calendar": d["calendar"], "hearing_id": d["id"], "interpreter": a.interpreter_mode,
            "previous_at": d["starts_at"].isoformat(), "reason": batch.reason,
        }
        port = ports.get(a.report_port_id) if a.report_port_id else None
        if port is not None and a.report_at is not None:
            content.update(report_at=a.report_at.isoformat(), port_name=port.name,
                           port_address=port.address, port_tz=port.timezone)
        else:
            content["port_tz"] = ports[d["case__port_id"]].timezone
        shared = bulk.RawJSON(json.dumps(content, ensure_ascii=False))
        rows.append((d["case_id"], d["id"], NoticeKind.HEARING_NOTICE.value,
                     _ui_lang(langs[0]), shared, now, issued_by, "", False, "", "", "", "",
                     batch.pk))
        if port is not None and a.report_at is not None:
            rows.append((d["case_id"], d["id"], NoticeKind.TEAR_SHEET.value, content["language"],
                         shared, now, issued_by, "", False, "", "", "", "", batch.pk))
    return bulk.insert_rows(Notice, NOTICE_COLUMNS, rows)


@transaction.atomic
def notice_record_service(
    *, actor: Any, notice: Notice, method: str, acknowledgement: str = "",
    served_at: dt.datetime | None = None, proof: str = "",
) -> Notice:
    """Who served it, when, how (in person or mail), and the signature or refusal."""
    # Port officers serve NTAs; clerks and judges hand notices over in court.
    if not any(has(actor, p) for p in (Permission.NOTICE_ISSUE, Permission.HEARING_SCHEDULE,
                                        Permission.HEARING_RECORD_OUTCOME)):
        raise PermissionDenied()
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    if notice.served_at is not None:
        raise DomainError("notice.already_served", _("This notice was already served."),
                          status=409)
    if method not in ServiceMethod.values:
        raise DomainError("notice.bad_method", _("Serve in person or by mail."), field="method")
    if method == ServiceMethod.MAIL:
        if not proof.strip():
            raise DomainError("notice.mail_needs_proof",
                              _("Service by mail needs proof of an attempted delivery to the "
                                "last address given (a tracking number)."), field="proof")
        acknowledgement = Acknowledgement.NONE
    elif acknowledgement not in (Acknowledgement.SIGNED, Acknowledgement.REFUSED):
        raise DomainError("notice.ack_required",
                          _("Record whether the person signed or refused to sign."),
                          field="acknowledgement")
    at = served_at or timezone.now()
    if at > timezone.now() + dt.timedelta(minutes=5):
        raise DomainError("notice.served_in_future", _("Service cannot be in the future."),
                          field="served_at")
    hearing = Hearing.objects.select_for_update().get(pk=notice.hearing_id)
    if notice.kind == NoticeKind.NTA and hearing.status == HearingStatus.SCHEDULED:
        from garita.hearings.models import EarlyHearingWaiver

        waived = hearing.waiver or EarlyHearingWaiver.objects.filter(
            case_id=notice.case_id).exists()
        if domain.too_soon(served_at=at, starts_at=hearing.starts_at, waiver=waived):
            raise DomainError(
                "hearing.too_soon",
                _("The hearing is less than 10 days after this service; reschedule it or "
                  "record the person's written request for an earlier date."), status=409,
            )
        hearing.served_at = at
    notice.served_at = at
    notice.served_by = actor
    notice.service_method = method
    notice.acknowledgement = acknowledgement
    notice.service_proof = proof.strip()
    notice.save()
    if notice.kind in (NoticeKind.NTA, NoticeKind.HEARING_NOTICE):
        hearing.noticed_at = at
        hearing.save(update_fields=["noticed_at", "served_at"])
        Notice.objects.filter(hearing=hearing, kind=NoticeKind.TEAR_SHEET,
                              served_at__isnull=True).update(
            served_at=at, served_by=actor, service_method=method,
            acknowledgement=acknowledgement, service_proof=proof.strip())
        Case.objects.filter(pk=notice.case_id, info_changed_at__isnull=False).update(
            info_changed_at=None)
    audit.record(actor=actor, action="notice.serve", obj=notice,
                 new={"method": method, "acknowledgement": acknowledgement, "served_at": at,
                      "proof": proof})
    return notice


@transaction.atomic
def case_return_to_mexico(*, actor: Any, case: Case) -> Case:
    """Return an MPP case to Mexico to await the hearing: only after the NTA, with its time
    and place, has been served; intake refuses it while a fear claim is open."""
    require(actor, Permission.NOTICE_ISSUE)
    served = case.notices.filter(kind=NoticeKind.NTA, superseded=False,
                                 served_at__isnull=False).exists()
    if not served:
        raise DomainError("notice.nta_not_served",
                          _("Serve the Notice to Appear (with its time and place) before the "
                            "person is returned to Mexico."), status=409)
    return case_transition(actor=actor, case=case, to=CaseStatus.RETURNED_TO_MEXICO,
                           reason="MPP return after NTA service")


def notice_pdf(notice: Notice) -> bytes:
    """The served record: the stored PDF, or the notice rendered from its stated facts."""
    if notice.pdf:
        return bytes(notice.pdf)
    from garita.notices import render

    return render.render(notice.kind, notice.content, notice.language)
