"""Need-to-know: who sees which case, and every read of contact details is audited."""

from __future__ import annotations

import pytest

from garita.audit.models import AuditEvent
from garita.core.errors import NotFound, PermissionDenied
from garita.intake import selectors, services
from garita.intake.models import Case

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_cases(record, family_of_four):
    first = Case.objects.filter(person__encounter=record(), person__is_head=True).get()
    second = Case.objects.filter(
        person__encounter=record(family_type="single_adult", members=family_of_four[1:2])).get()
    return first, second


@pytest.mark.parametrize("role", ["port_officer", "supervisor", "port_director",
                                  "asylum_officer", "court_clerk", "judge", "administrator"])
def test_government_roles_see_every_case(users, two_cases, role):
    assert selectors.cases_visible_to(users[role]).count() == 5


def test_an_analyst_sees_no_individual_case(users, two_cases):
    with pytest.raises(PermissionDenied):
        selectors.cases_visible_to(users["analyst"])


def test_a_representative_sees_only_cases_with_an_active_appearance(users, make_user, two_cases):
    mine, theirs = two_cases
    rep, other_rep = users["legal_representative"], make_user("legal_representative")
    services.appearance_file(actor=users["court_clerk"], a_number=mine.a_number,
                             representative_id=rep.pk)
    services.appearance_file(actor=users["court_clerk"], a_number=theirs.a_number,
                             representative_id=other_rep.pk)
    assert list(selectors.cases_visible_to(rep)) == [mine]
    with pytest.raises(NotFound) as exc:
        selectors.case_get_for(rep, a_number=theirs.a_number)
    assert exc.value.code == "case.not_found"


def test_a_withdrawn_appearance_ends_the_representatives_view(users, two_cases):
    mine, _ = two_cases
    rep = users["legal_representative"]
    appearance = services.appearance_file(actor=users["court_clerk"], a_number=mine.a_number,
                                          representative_id=rep.pk)
    services.appearance_withdraw(actor=rep, appearance_id=appearance.pk)
    assert selectors.cases_visible_to(rep).count() == 0


def test_shelter_staff_see_only_residents_who_consented(make_user, users, two_cases, shelter):
    consenting, not_consenting = two_cases
    staff = make_user("shelter_staff", shelter=shelter)
    services.consent_give(actor=users["port_officer"], case=consenting, grantee_type="shelter",
                          shelter_id=shelter.pk)
    assert list(selectors.cases_visible_to(staff)) == [consenting]
    with pytest.raises(NotFound):
        selectors.case_get_for(staff, a_number=not_consenting.a_number)


def test_shelter_staff_of_another_shelter_see_nothing(make_user, users, two_cases, shelter):
    from garita.intake.models import Shelter

    other = Shelter.objects.create(name="Juventud 2000")
    services.consent_give(actor=users["port_officer"], case=two_cases[0],
                          grantee_type="shelter", shelter_id=shelter.pk)
    assert selectors.cases_visible_to(make_user("shelter_staff", shelter=other)).count() == 0
    assert selectors.cases_visible_to(make_user("shelter_staff")).count() == 0


def test_revoked_consent_ends_the_shelters_view(make_user, users, two_cases, shelter):
    consent = services.consent_give(actor=users["port_officer"], case=two_cases[0],
                                    grantee_type="shelter", shelter_id=shelter.pk)
    services.consent_revoke(actor=users["port_officer"], consent_id=consent.pk)
    assert selectors.cases_visible_to(make_user("shelter_staff", shelter=shelter)).count() == 0


def test_reading_contacts_is_audited(users, two_cases):
    case = two_cases[0]
    before = AuditEvent.objects.filter(action="contact.read").count()
    contacts = selectors.case_contacts(users["port_officer"], case)
    assert [c.value for c in contacts] == ["+526641234567"]
    event = AuditEvent.objects.filter(action="contact.read").last()
    assert AuditEvent.objects.filter(action="contact.read").count() == before + 1
    assert event.object_id == str(case.pk) and event.actor_id == users["port_officer"].pk


def test_an_asylum_officer_may_not_read_contacts(users, two_cases):
    with pytest.raises(PermissionDenied):
        selectors.case_contacts(users["asylum_officer"], two_cases[0])


@pytest.mark.parametrize("spelling", ["{a}", "{lower}", "{dashed}", "{spaced}"])
def test_search_finds_a_case_by_any_a_number_spelling(users, two_cases, spelling):
    case = two_cases[0]
    d = case.a_number[1:]
    q = spelling.format(a=case.a_number, lower=case.a_number.lower(),
                        dashed=f"a-{d[:3]}-{d[3:6]}-{d[6:]}", spaced=f"{d[:3]} {d[3:6]} {d[6:]}")
    assert selectors.case_search(users["port_officer"], q=q).items == [case]


def test_search_by_name_words_with_accents(users, two_cases):
    result = selectors.case_search(users["port_officer"], q="María Núñez")
    assert [c.pk for c in result.items] == [two_cases[0].pk]


def test_search_pages_are_bounded(users, two_cases):
    result = selectors.case_search(users["port_officer"], per_page=10_000, page=-3)
    assert result.per_page == 100 and result.page == 1 and result.total == 5


def test_the_case_history_is_for_government_staff_only(users, two_cases):
    case = two_cases[0]
    actions = [e.action for e in selectors.case_history(users["port_officer"], case)]
    assert "case.create" in actions and "encounter.record" in actions
    assert selectors.case_history(users["legal_representative"], case) == []
