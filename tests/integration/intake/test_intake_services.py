"""Recording encounters and later changes: A-numbers, validation of everything before any
write, placeholder flags, EOIR-33 and EOIR-28, consents, and the audit events they leave."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from garita.audit.models import AuditEvent
from garita.audit.selectors import verify_chain
from garita.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from garita.intake import services
from garita.intake.models import (
    Address,
    ANumberBlock,
    Appearance,
    Case,
    Consent,
    ContactPoint,
    Encounter,
    Person,
)

pytestmark = pytest.mark.django_db


def _counts():
    return (Encounter.objects.count(), Person.objects.count(), Case.objects.count(),
            Address.objects.count(), ContactPoint.objects.count())


def _codes(exc: ValidationFailed) -> set[tuple[str, str | None]]:
    return {(e.code, e.field) for e in exc.errors}


def test_a_family_of_four_gets_four_cases_with_fresh_a_numbers(record):
    encounter = record()
    cases = list(Case.objects.filter(person__encounter=encounter).order_by("a_number"))
    assert len(cases) == 4
    assert all(c.status == "encountered" for c in cases)
    assert len({c.a_number for c in cases}) == 4
    assert all(len(c.a_number) == 10 and c.a_number.startswith("A") for c in cases)
    assert Person.objects.filter(encounter=encounter, is_head=True).count() == 1


def test_the_oconnor_name_is_stored_exactly(record):
    encounter = record()
    head = Person.objects.get(encounter=encounter, is_head=True)
    assert f"{head.given_names} {head.surnames}" == "María José Núñez de la O'Connor"


def test_the_phone_is_stored_in_e164_for_every_member(record):
    encounter = record()
    values = set(ContactPoint.objects.filter(case__person__encounter=encounter)
                 .values_list("value", flat=True))
    assert values == {"+526641234567"}
    assert ContactPoint.objects.filter(case__person__encounter=encounter).count() == 4


def test_a_numbers_are_never_reused_and_skip_numbers_already_taken(record, users):
    block = ANumberBlock.objects.get()
    taken = f"A{block.next_value:09d}"
    from tests.factories import make_case

    existing = make_case()
    Case.objects.filter(pk=existing.pk).update(a_number=taken)
    first = record()
    second = record()
    numbers = list(Case.objects.filter(person__encounter__in=[first, second])
                   .values_list("a_number", flat=True))
    assert taken not in numbers
    assert len(set(numbers)) == 8


def test_an_exhausted_block_refuses_and_writes_nothing(record):
    ANumberBlock.objects.update(active=False)
    ANumberBlock.objects.create(name="tiny", first=300_000_000, last=300_000_002,
                                next_value=300_000_000)
    before = _counts()
    with pytest.raises(DomainError) as exc:
        record()
    assert exc.value.code == "anumber.block_exhausted"
    assert exc.value.status == 409
    assert _counts() == before
    assert ANumberBlock.objects.get(name="tiny").next_value == 300_000_000


def test_every_problem_of_the_whole_family_is_reported_at_once_and_nothing_written(
        record, family_of_four):
    members = [dict(m) for m in family_of_four]
    members[1]["given_names"] = "J0sé"
    members[2]["date_of_birth"] = timezone.localdate() + dt.timedelta(days=3)
    members[3]["nationality"] = "ZZZ"
    before = _counts()
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        record(members=members, address={"line1": "x"},
               contacts=[{"kind": "phone", "value": "12"}])
    assert _codes(exc.value) >= {
        ("person.name_invalid", "members.1.given_names"),
        ("person.dob_future", "members.2.date_of_birth"),
        ("person.nationality_unknown", "members.3.nationality"),
        ("address.city_required", "address.city"),
        ("contact.phone_invalid", "contacts.0.value"),
    }
    assert _counts() == before
    assert AuditEvent.objects.count() == events


def test_a_date_of_birth_after_the_encounter_is_refused(record, family_of_four):
    members = [dict(m) for m in family_of_four]
    occurred = timezone.now() - dt.timedelta(days=10)
    members[3]["date_of_birth"] = timezone.localdate() - dt.timedelta(days=2)
    with pytest.raises(ValidationFailed) as exc:
        record(members=members, occurred_at=occurred)
    assert ("person.dob_after_encounter", "members.3.date_of_birth") in _codes(exc.value)


def test_an_empty_family_is_refused(record):
    with pytest.raises(ValidationFailed) as exc:
        record(members=[])
    assert ("encounter.empty_family", "members") in _codes(exc.value)


def test_a_single_adult_encounter_with_a_child_is_refused(record, family_of_four):
    with pytest.raises(ValidationFailed) as exc:
        record(family_type="single_adult", members=family_of_four[:1] + family_of_four[2:3])
    assert ("encounter.single_adult_mismatch", "family_type") in _codes(exc.value)


def test_an_unaccompanied_child_is_one_minor(record, family_of_four):
    encounter = record(family_type="unaccompanied_child", members=family_of_four[2:3])
    assert encounter.people.count() == 1


def test_an_encounter_in_the_future_is_refused(record):
    with pytest.raises(ValidationFailed) as exc:
        record(occurred_at=timezone.now() + dt.timedelta(days=1))
    assert ("encounter.time_future", "occurred_at") in _codes(exc.value)


def test_a_facebook_address_is_flagged_not_silently_accepted(record):
    encounter = record(address={"line1": "Facebook", "city": "Tijuana"})
    addr = Address.objects.filter(case__person__encounter=encounter).first()
    assert addr.is_placeholder
    assert "address.placeholder_social_media" in addr.placeholder_reasons


def test_an_unconfirmed_shelter_is_flagged(record, shelter):
    shelter.confirmed = False
    shelter.save()
    encounter = record(address={"city": "Tijuana"}, shelter_id=shelter.pk)
    addr = Address.objects.filter(case__person__encounter=encounter).first()
    assert addr.placeholder_reasons == ["address.shelter_unconfirmed"]


def test_only_port_staff_record_encounters(record, users):
    for role in ("legal_representative", "shelter_staff", "analyst", "judge", "court_clerk"):
        with pytest.raises(PermissionDenied):
            record(actor=users[role])
    assert Encounter.objects.count() == 0


def test_recording_writes_audit_events_for_the_encounter_and_each_case(record):
    encounter = record()
    assert AuditEvent.objects.filter(action="encounter.record",
                                     object_id=str(encounter.pk)).count() == 1
    assert AuditEvent.objects.filter(action="case.create").count() == 4
    assert verify_chain().ok


def test_an_address_change_adds_a_row_and_keeps_the_old_one(record, users):
    case = Case.objects.filter(person__encounter=record()).first()
    row = services.address_change(
        actor=users["court_clerk"], case=case.a_number,
        address={"line1": "Calle Coahuila 1234", "neighborhood": "Zona Norte",
                 "city": "Tijuana"}, moved_on=timezone.localdate() - dt.timedelta(days=9))
    assert case.addresses.count() == 2
    assert case.addresses.first() == row
    assert row.filed_late
    event = AuditEvent.objects.get(action="address.change")
    assert event.new["late"] is True and event.new["form"] == "EOIR-33"


def test_an_address_change_to_whatsapp_is_flagged(record, users):
    case = Case.objects.filter(person__encounter=record()).first()
    row = services.address_change(actor=users["port_officer"], case=case,
                                  address={"line1": "WhatsApp", "city": "Tijuana"})
    assert row.is_placeholder


def test_a_contact_with_an_invalid_phone_is_refused_and_nothing_written(record, users):
    case = Case.objects.filter(person__encounter=record()).first()
    before = ContactPoint.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.contact_add(actor=users["port_officer"], case=case, kind="phone", value="abc")
    assert ("contact.phone_invalid", "value") in _codes(exc.value)
    assert ContactPoint.objects.count() == before


def test_a_duplicate_contact_is_a_conflict(record, users):
    case = Case.objects.filter(person__encounter=record()).first()
    with pytest.raises(DomainError) as exc:
        services.contact_add(actor=users["port_officer"], case=case, kind="phone",
                             value="+52 664 123 4567")
    assert exc.value.code == "contact.duplicate"


def test_a_representative_files_an_appearance_with_the_clients_date_of_birth(record, users):
    case = Case.objects.filter(person__encounter=record(), person__is_head=True).get()
    rep = users["legal_representative"]
    appearance = services.appearance_file(actor=rep, a_number=case.a_number.lower(),
                                          date_of_birth=dt.date(1988, 3, 2))
    assert appearance.representative == rep
    assert AuditEvent.objects.filter(action="appearance.file").count() == 1


def test_a_representative_with_the_wrong_date_of_birth_gets_not_found(record, users):
    case = Case.objects.filter(person__encounter=record(), person__is_head=True).get()
    with pytest.raises(NotFound) as exc:
        services.appearance_file(actor=users["legal_representative"], a_number=case.a_number,
                                 date_of_birth=dt.date(1990, 1, 1))
    assert exc.value.code == "case.not_found"
    with pytest.raises(NotFound):
        services.appearance_file(actor=users["legal_representative"], a_number="A999999999",
                                 date_of_birth=dt.date(1988, 3, 2))
    assert Appearance.objects.count() == 0


def test_a_clerk_files_and_withdraws_for_a_representative(record, users):
    case = Case.objects.filter(person__encounter=record()).first()
    rep = users["legal_representative"]
    appearance = services.appearance_file(actor=users["court_clerk"], a_number=case.a_number,
                                          representative_id=rep.pk)
    with pytest.raises(DomainError) as exc:
        services.appearance_file(actor=users["court_clerk"], a_number=case.a_number,
                                 representative_id=rep.pk)
    assert exc.value.code == "appearance.duplicate"
    services.appearance_withdraw(actor=rep, appearance_id=appearance.pk)
    appearance.refresh_from_db()
    assert appearance.withdrawn_at is not None


def test_a_port_officer_cannot_file_an_appearance(record, users):
    case = Case.objects.filter(person__encounter=record()).first()
    with pytest.raises(PermissionDenied):
        services.appearance_file(actor=users["port_officer"], a_number=case.a_number,
                                 representative_id=users["legal_representative"].pk)


def test_consent_to_a_shelter_is_given_and_revoked_with_audit(record, users, shelter):
    case = Case.objects.filter(person__encounter=record()).first()
    consent = services.consent_give(actor=users["port_officer"], case=case,
                                    grantee_type="shelter", shelter_id=shelter.pk)
    services.consent_revoke(actor=users["port_officer"], consent_id=consent.pk)
    consent.refresh_from_db()
    assert consent.revoked_at is not None
    actions = list(AuditEvent.objects.filter(object_type="intake.case", object_id=str(case.pk))
                   .values_list("action", flat=True))
    assert "consent.give" in actions and "consent.revoke" in actions


def test_consent_to_an_unknown_shelter_is_refused(record, users):
    case = Case.objects.filter(person__encounter=record()).first()
    with pytest.raises(ValidationFailed):
        services.consent_give(actor=users["port_officer"], case=case, grantee_type="shelter",
                              shelter_id=999999)
    assert Consent.objects.count() == 0


def test_a_representative_guessing_dates_of_birth_is_throttled(record, users):
    from django.core.cache import cache

    cache.clear()
    case = Case.objects.filter(person__encounter=record(), person__is_head=True).get()
    rep = users["legal_representative"]
    for day in range(1, 11):
        with pytest.raises(NotFound):
            services.appearance_file(actor=rep, a_number=case.a_number,
                                     date_of_birth=dt.date(1990, 1, day))
    with pytest.raises(DomainError) as exc:
        services.appearance_file(actor=rep, a_number=case.a_number,
                                 date_of_birth=dt.date(1988, 3, 2))
    assert exc.value.code == "appearance.throttled" and exc.value.status == 429
    assert Appearance.objects.count() == 0
    cache.clear()
