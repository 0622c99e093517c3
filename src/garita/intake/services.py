"""Writes on intake data: encounters with whole families, A-numbers, addresses (EOIR-33),
contacts, consents and appearances (EOIR-28).

Every function is keyword-only, atomic, checks the permission first, validates everything
before writing anything (so a refused request leaves no trace) and writes an audit event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import fields as dc_fields
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from garita.accounts.permissions import has, require
from garita.accounts.roles import Permission, Role
from garita.audit import services as audit
from garita.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from garita.intake import domain
from garita.intake.domain import AddressIn, Member, MemberIn, can_transition
from garita.intake.models import (
    Address,
    ANumberBlock,
    Appearance,
    Case,
    CaseStatus,
    Consent,
    ContactKind,
    ContactPoint,
    Encounter,
    Person,
    Shelter,
)
from garita.stats.services import note_change as note_stats_change

# A clock a few minutes ahead of the server's must not refuse a real encounter.
FUTURE_TOLERANCE = dt.timedelta(minutes=10)


@transaction.atomic
def case_transition(*, actor: Any, case: Case, to: str, reason: str = "") -> Case:
    """Move a case to another state. Callers check their own permission first."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status == to:
        return case
    if not can_transition(case.status, to):
        raise DomainError(
            "case.bad_transition",
            _("A case cannot go from “%(from)s” to “%(to)s”.") % {"from": case.status, "to": to},
            status=409,
        )
    if to == CaseStatus.RETURNED_TO_MEXICO:
        from garita.screening.selectors import has_open_fear_claim

        if has_open_fear_claim(case):
            raise DomainError(
                "case.open_fear_claim",
                _("This person has an open fear-of-return claim and cannot be returned to Mexico."),
                status=409,
            )
    old = case.status
    case.status = to
    case.status_changed_at = timezone.now()
    case.save(update_fields=["status", "status_changed_at", "updated_at"])
    note_stats_change()  # statistics cover status, volume and representation
    audit.record(actor=actor, action="case.transition", obj=case,
                 old={"status": old}, new={"status": to, "reason": reason})
    return case


# --- A-numbers ---------------------------------------------------------------------------


def anumber_allocate(count: int) -> list[str]:
    """Take `count` fresh A-numbers from the active blocks, in order, never reusing one.

    Must run inside the caller's transaction: the blocks are locked until it commits, and
    a rollback gives the numbers back only because nothing was ever stored with them.
    """
    if count <= 0:
        return []
    out: list[str] = []
    blocks = list(ANumberBlock.objects.select_for_update().filter(active=True).order_by("id"))
    for block in blocks:
        while len(out) < count and block.next_value <= block.last:
            take = min(count - len(out), block.last - block.next_value + 1)
            candidates = [f"A{n:09d}" for n in range(block.next_value, block.next_value + take)]
            block.next_value += take
            # Numbers given out by hand or imported are skipped, never handed out twice.
            used = set(Case.objects.filter(a_number__in=candidates)
                       .values_list("a_number", flat=True)) if len(candidates) < 5000 else \
                _used_in_range(candidates[0], candidates[-1])
            out += [c for c in candidates if c not in used]
        ANumberBlock.objects.filter(pk=block.pk).update(next_value=block.next_value)
        if len(out) >= count:
            break
    if len(out) < count:
        raise Conflict("anumber.block_exhausted",
                       _("No A-numbers are left in the configured blocks. Ask an administrator "
                         "to add a block."))
    return out


def _used_in_range(first: str, last: str) -> set[str]:
    return set(Case.objects.filter(a_number__gte=first, a_number__lte=last)
               .values_list("a_number", flat=True))


# --- recording an encounter --------------------------------------------------------------


def _as_member(raw: MemberIn | Mapping[str, Any]) -> MemberIn:
    if isinstance(raw, MemberIn):
        return raw
    names = {f.name for f in dc_fields(MemberIn)}
    data = {k: v for k, v in dict(raw).items() if k in names}
    for key in ("given_names", "surnames", "nationality"):
        data.setdefault(key, "")
    data.setdefault("date_of_birth", None)
    if isinstance(data.get("date_of_birth"), str):
        try:
            data["date_of_birth"] = dt.date.fromisoformat(data["date_of_birth"])
        except ValueError:
            data["date_of_birth"] = None
    if isinstance(data.get("aliases"), list):
        data["aliases"] = tuple(data["aliases"])
    data["sex"] = data.get("sex") or ""
    data["relationship"] = data.get("relationship") or ""
    return MemberIn(**data)


def _as_address(raw: AddressIn | Mapping[str, Any] | None) -> AddressIn:
    if isinstance(raw, AddressIn):
        return raw
    names = {f.name for f in dc_fields(AddressIn)}
    data = {k: (v or "") for k, v in dict(raw or {}).items() if k in names}
    return AddressIn(**{k: str(v) for k, v in data.items()})


def _clean_contact(raw: Mapping[str, Any], *, index: int) -> tuple[dict[str, Any] | None,
                                                                    DomainError | None]:
    prefix = f"contacts.{index}"
    kind = raw.get("kind") or ContactKind.PHONE
    if kind not in ContactKind.values:
        return None, DomainError("contact.kind_invalid", _("Choose phone, WhatsApp or email."),
                                 field=f"{prefix}.kind")
    value = raw.get("value")
    try:
        if kind == ContactKind.EMAIL:
            if not isinstance(value, str) or len(value) > 254:
                raise DjangoValidationError("bad")
            validate_email(value.strip())
            value = value.strip()
        else:
            value = domain.clean_phone(value, field=f"{prefix}.value")
    except DjangoValidationError:
        return None, DomainError("contact.email_invalid", _("Enter a valid email address."),
                                 field=f"{prefix}.value")
    except DomainError as exc:
        return None, exc
    return {"kind": kind, "value": value, "consent_sms": bool(raw.get("consent_sms", True)),
            "consent_voice": bool(raw.get("consent_voice", True))}, None


def _shelter_or_error(shelter_id: Any, field: str) -> tuple[Shelter | None, DomainError | None]:
    if shelter_id in (None, ""):
        return None, None
    try:
        return Shelter.objects.get(pk=int(shelter_id)), None
    except (Shelter.DoesNotExist, TypeError, ValueError):
        return None, DomainError("shelter.not_found", _("This shelter is not known."), field=field)


@transaction.atomic
def encounter_record(
    *,
    actor: Any,
    port_slug: str,
    occurred_at: dt.datetime,
    family_type: str,
    members: Sequence[MemberIn | Mapping[str, Any]],
    address: AddressIn | Mapping[str, Any] | None,
    contacts: Sequence[Mapping[str, Any]] = (),
    shelter_id: int | None = None,
    notes: str = "",
) -> Encounter:
    """Record one arrival: a Person and a Case (fresh A-number, status `encountered`) for
    each member, the address they gave (placeholders flagged) and their contact points.

    Every field is checked first and all problems are raised together as ValidationFailed.
    """
    require(actor, Permission.ENCOUNTER_RECORD)
    from garita.core.models import Port

    errors: list[DomainError] = []
    port = Port.objects.filter(slug=port_slug, active=True).first()
    if port is None:
        errors.append(DomainError("port.not_found", _("This port of entry is not known."),
                                  field="port"))
    now = timezone.now()
    if not isinstance(occurred_at, dt.datetime) or timezone.is_naive(occurred_at):
        errors.append(DomainError("encounter.time_invalid",
                                  _("Enter the date and time of the encounter."),
                                  field="occurred_at"))
        occurred_at = now
    elif occurred_at > now + FUTURE_TOLERANCE:
        errors.append(DomainError("encounter.time_future",
                                  _("The encounter cannot be in the future."),
                                  field="occurred_at"))
    tz = port.timezone if port else "America/Tijuana"
    from zoneinfo import ZoneInfo

    encounter_date = occurred_at.astimezone(ZoneInfo(tz)).date()
    today = now.astimezone(ZoneInfo(tz)).date()

    cleaned: list[Member] = []
    member_inputs = [_as_member(m) for m in members]
    for i, raw in enumerate(member_inputs):
        member, problems = domain.clean_member(raw, index=i, encounter_date=encounter_date,
                                               today=today)
        errors += problems
        if member is not None:
            cleaned.append(member)
    if len(cleaned) == len(member_inputs):
        ages = [domain.age_on(m.date_of_birth, encounter_date) for m in cleaned]
        errors += domain.family_problems(family_type, ages)
    elif family_type not in domain.FAMILY_TYPES:
        errors += domain.family_problems(family_type, [])

    addr = _as_address(address)
    errors += domain.address_input_problems(addr, prefix="address")
    shelter, problem = _shelter_or_error(shelter_id, "shelter_id")
    if problem:
        errors.append(problem)

    clean_contacts: list[dict[str, Any]] = []
    for i, raw_contact in enumerate(contacts):
        contact, problem = _clean_contact(raw_contact, index=i)
        if problem:
            errors.append(problem)
        elif contact and contact not in clean_contacts:
            clean_contacts.append(contact)
    if len(notes) > 2000:
        errors.append(DomainError("encounter.notes_too_long", _("This is too long."),
                                  field="notes"))
    if errors:
        raise ValidationFailed(errors)
    assert port is not None

    placeholder = domain.address_problems(
        addr, shelter_given=shelter is not None,
        shelter_confirmed=bool(shelter and shelter.confirmed),
    )
    a_numbers = anumber_allocate(len(cleaned))
    encounter = Encounter.objects.create(port=port, occurred_at=occurred_at, officer=actor,
                                         family_type=family_type, notes=notes)
    head = domain.choose_head(cleaned, family_type)
    created: list[Case] = []
    for i, (member, a_number) in enumerate(zip(cleaned, a_numbers, strict=True)):
        person = Person.objects.create(
            encounter=encounter, given_names=member.given_names, surnames=member.surnames,
            aliases=list(member.aliases), date_of_birth=member.date_of_birth, sex=member.sex,
            nationality=member.nationality, languages=list(member.languages),
            relationship=member.relationship or ("head" if i == head else ""),
            is_head=i == head,
        )
        case = Case.objects.create(person=person, a_number=a_number, port=port,
                                   status=CaseStatus.ENCOUNTERED, status_changed_at=now)
        Address.objects.create(
            case=case, line1=addr.line1.strip(), neighborhood=addr.neighborhood.strip(),
            city=addr.city.strip(), state=addr.state.strip(), country=addr.country or "MEX",
            postal_code=addr.postal_code.strip(), shelter=shelter,
            is_placeholder=bool(placeholder), placeholder_reasons=list(placeholder),
            given_at=occurred_at,
        )
        for contact in clean_contacts:
            ContactPoint.objects.create(case=case, **contact)
        audit.record(actor=actor, action="case.create", obj=case,
                     new={"a_number": a_number, "encounter": encounter.pk,
                          "status": CaseStatus.ENCOUNTERED,
                          "address_flags": list(placeholder),
                          "contacts": len(clean_contacts)})
        created.append(case)
    note_stats_change()  # statistics cover status, volume and representation
    audit.record(actor=actor, action="encounter.record", obj=encounter,
                 new={"port": port.slug, "family_type": family_type,
                      "a_numbers": a_numbers, "occurred_at": occurred_at.isoformat()})
    encounter.created_cases = created  # type: ignore[attr-defined]
    return encounter


# --- changes after the encounter ---------------------------------------------------------


def _visible_case(actor: Any, case: Case | str) -> Case:
    from garita.intake.selectors import case_get_for

    if isinstance(case, Case):
        return case_get_for(actor, case_id=case.pk)
    return case_get_for(actor, a_number=case)


@transaction.atomic
def address_change(
    *,
    actor: Any,
    case: Case | str,
    address: AddressIn | Mapping[str, Any],
    shelter_id: int | None = None,
    moved_on: dt.date | None = None,
) -> Address:
    """File a change of address (EOIR-33): a new row, the old ones kept as history.

    Notices go to the newest address. A filing more than 5 days after the move is noted
    as late (the person is told, nothing is refused).
    """
    require(actor, Permission.ADDRESS_CHANGE)
    case = _visible_case(actor, case)
    addr = _as_address(address)
    errors = domain.address_input_problems(addr, prefix="address")
    shelter, problem = _shelter_or_error(shelter_id, "shelter_id")
    if problem:
        errors.append(problem)
    today = timezone.localdate()
    if moved_on is not None and moved_on > today:
        errors.append(DomainError("address.moved_in_future",
                                  _("The move date is in the future."), field="moved_on"))
    if errors:
        raise ValidationFailed(errors)
    flags = domain.address_problems(addr, shelter_given=shelter is not None,
                                    shelter_confirmed=bool(shelter and shelter.confirmed))
    previous = case.addresses.first()
    row = Address.objects.create(
        case=case, line1=addr.line1.strip(), neighborhood=addr.neighborhood.strip(),
        city=addr.city.strip(), state=addr.state.strip(), country=addr.country or "MEX",
        postal_code=addr.postal_code.strip(), shelter=shelter, is_placeholder=bool(flags),
        placeholder_reasons=list(flags), given_at=timezone.now(),
    )
    late = domain.address_change_is_late(moved_on, today)
    audit.record(actor=actor, action="address.change", obj=case,
                 old={"address_id": previous.pk if previous else None},
                 new={"address_id": row.pk, "flags": list(flags), "form": "EOIR-33",
                      "moved_on": moved_on, "late": late})
    row.filed_late = late  # type: ignore[attr-defined]
    return row


@transaction.atomic
def contact_add(
    *, actor: Any, case: Case | str, kind: str, value: str, consent_sms: bool = True,
    consent_voice: bool = True,
) -> ContactPoint:
    require(actor, Permission.CONTACT_EDIT)
    case = _visible_case(actor, case)
    contact, problem = _clean_contact(
        {"kind": kind, "value": value, "consent_sms": consent_sms,
         "consent_voice": consent_voice}, index=0)
    if problem:
        problem.field = "value"
        raise ValidationFailed([problem])
    assert contact is not None
    if case.contacts.filter(kind=contact["kind"], value=contact["value"],
                            opted_out_at__isnull=True).exists():
        raise Conflict("contact.duplicate", _("This contact is already on the case."),
                       field="value")
    row = ContactPoint.objects.create(case=case, **contact)
    audit.record(actor=actor, action="contact.add", obj=case,
                 new={"contact_id": row.pk, "kind": row.kind})
    return row


@transaction.atomic
def consent_give(
    *, actor: Any, case: Case | str, grantee_type: str, shelter_id: int | None = None,
    representative_id: int | None = None, notes: str = "",
) -> Consent:
    """Record the person's written consent (8 CFR 208.6) to share the case."""
    require(actor, Permission.CONSENT_RECORD)
    case = _visible_case(actor, case)
    shelter = representative = None
    if grantee_type == Consent.Grantee.SHELTER:
        shelter, problem = _shelter_or_error(shelter_id, "shelter_id")
        if problem or shelter is None:
            raise ValidationFailed([problem or DomainError(
                "shelter.not_found", _("This shelter is not known."), field="shelter_id")])
    elif grantee_type == Consent.Grantee.REPRESENTATIVE:
        representative = _representative(representative_id)
    else:
        raise ValidationFailed([DomainError("consent.grantee_invalid",
                                            _("Choose a shelter or a legal representative."),
                                            field="grantee_type")])
    existing = Consent.objects.filter(case=case, grantee_type=grantee_type, shelter=shelter,
                                      representative=representative, revoked_at__isnull=True)
    if existing.exists():
        raise Conflict("consent.duplicate", _("This consent is already recorded."))
    consent = Consent.objects.create(case=case, grantee_type=grantee_type, shelter=shelter,
                                     representative=representative, given_at=timezone.now(),
                                     notes=notes[:2000])
    audit.record(actor=actor, action="consent.give", obj=case,
                 new={"consent_id": consent.pk, "grantee_type": grantee_type,
                      "shelter": shelter.pk if shelter else None,
                      "representative": representative.pk if representative else None})
    return consent


@transaction.atomic
def consent_revoke(*, actor: Any, consent_id: int) -> Consent:
    require(actor, Permission.CONSENT_RECORD)
    consent = Consent.objects.select_for_update().filter(pk=consent_id).first()
    if consent is None:
        raise NotFound("consent.not_found")
    _visible_case(actor, consent.case)
    if consent.revoked_at is not None:
        return consent
    consent.revoked_at = timezone.now()
    consent.save(update_fields=["revoked_at"])
    audit.record(actor=actor, action="consent.revoke", obj=consent.case,
                 old={"consent_id": consent.pk, "revoked_at": None},
                 new={"consent_id": consent.pk, "revoked_at": consent.revoked_at})
    return consent


def _representative(representative_id: Any) -> Any:
    from garita.accounts.models import User

    rep = User.objects.filter(pk=representative_id if isinstance(representative_id, int)
                              else -1, role=Role.LEGAL_REPRESENTATIVE, is_active=True).first()
    if rep is None:
        raise ValidationFailed([DomainError("representative.not_found",
                                            _("This legal representative is not known."),
                                            field="representative_id")])
    return rep


# A representative who keeps guessing dates of birth is stopped: the pair is the only
# proof of a client, so it must not be brute-forced.
APPEARANCE_FAILURES_ALLOWED = 10
APPEARANCE_FAILURE_WINDOW = 3600  # seconds


def appearance_file(
    *, actor: Any, a_number: str, representative_id: int | None = None,
    date_of_birth: dt.date | None = None,
) -> Appearance:
    """File a Form EOIR-28 (notice of appearance) on a case.

    A court clerk files for any representative. A representative files for themselves and
    must also give the client's date of birth: an A-number alone is not proof of a client,
    and a wrong pair gets the same answer as a case that does not exist (no enumeration).
    After 10 wrong pairs in an hour the representative must wait (`appearance.throttled`).
    """
    require(actor, Permission.APPEARANCE_FILE)
    if actor.role != Role.LEGAL_REPRESENTATIVE:
        return _appearance_create(actor=actor, a_number=a_number,
                                  representative_id=representative_id, date_of_birth=None)
    from django.core.cache import cache

    key = f"garita:eoir28-failures:{actor.pk}"
    if cache.get(key, 0) >= APPEARANCE_FAILURES_ALLOWED:
        raise DomainError("appearance.throttled",
                          _("Too many attempts that matched no case. Try again in an hour."),
                          status=429)
    try:
        return _appearance_create(actor=actor, a_number=a_number,
                                  representative_id=representative_id,
                                  date_of_birth=date_of_birth)
    except NotFound:
        # Counted outside the (rolled back) transaction so that the failure sticks.
        if not cache.add(key, 1, APPEARANCE_FAILURE_WINDOW):
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, APPEARANCE_FAILURE_WINDOW)
        raise


@transaction.atomic
def _appearance_create(
    *, actor: Any, a_number: str, representative_id: int | None,
    date_of_birth: dt.date | None,
) -> Appearance:
    from garita.intake.anumber import parse_anumber

    canonical = parse_anumber(a_number)
    if actor.role == Role.LEGAL_REPRESENTATIVE:
        if representative_id not in (None, actor.pk):
            raise PermissionDenied(_("A representative files appearances for themselves only."))
        rep = actor
        case = Case.objects.select_related("person").filter(a_number=canonical).first()
        if case is None or date_of_birth is None or case.person.date_of_birth != date_of_birth:
            raise NotFound("case.not_found", _("No case matches this A-number and date of "
                                               "birth."))
    else:
        rep = _representative(representative_id)
        case = _visible_case(actor, canonical)
    if Appearance.objects.filter(case=case, representative=rep,
                                 withdrawn_at__isnull=True).exists():
        raise Conflict("appearance.duplicate",
                       _("This representative already has an active appearance on the case."))
    appearance = Appearance.objects.create(case=case, representative=rep,
                                           filed_at=timezone.now())
    note_stats_change()  # statistics cover status, volume and representation
    audit.record(actor=actor, action="appearance.file", obj=case,
                 new={"appearance_id": appearance.pk, "representative": rep.pk,
                      "form": "EOIR-28"})
    return appearance


@transaction.atomic
def appearance_withdraw(*, actor: Any, appearance_id: int) -> Appearance:
    require(actor, Permission.APPEARANCE_FILE)
    appearance = Appearance.objects.select_for_update().filter(pk=appearance_id).first()
    if appearance is None or (actor.role == Role.LEGAL_REPRESENTATIVE
                              and appearance.representative_id != actor.pk):
        raise NotFound("appearance.not_found")
    if appearance.withdrawn_at is not None:
        return appearance
    appearance.withdrawn_at = timezone.now()
    appearance.save(update_fields=["withdrawn_at"])
    note_stats_change()  # statistics cover status, volume and representation
    audit.record(actor=actor, action="appearance.withdraw", obj=appearance.case,
                 old={"appearance_id": appearance.pk, "withdrawn_at": None},
                 new={"appearance_id": appearance.pk, "withdrawn_at": appearance.withdrawn_at})
    return appearance


def can_edit_contacts(actor: Any) -> bool:
    return has(actor, Permission.CONTACT_EDIT)
