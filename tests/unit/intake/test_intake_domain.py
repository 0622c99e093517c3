"""Intake rules without a database: names, dates of birth, codes, phones, placeholder
addresses and family composition."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from garita.core.errors import DomainError
from garita.intake import domain
from garita.intake.domain import AddressIn, MemberIn

ENC = dt.date(2019, 3, 1)
TODAY = dt.date(2019, 3, 2)


@pytest.mark.parametrize("name", [
    "María José Núñez de la O'Connor", "Jean-Baptiste", "Ixchel Tzoc Ajú", "Nadège Désir",
    "João Pedro da Silva", "D’Angelo", "Ma. Guadalupe", "Łukasz Żółć", "Nguyễn Thị Minh",
])
def test_real_names_are_stored_exactly(name):
    assert domain.clean_name(name, field="f") == name


def test_outer_spaces_are_trimmed_and_inner_runs_collapsed():
    assert domain.clean_name("  Ana   Lucía ", field="f") == "Ana Lucía"


@pytest.mark.parametrize("bad", ["", "   ", "R2D2", "Ana\x00", "Ana\nLucía", "<script>",
                                 "José 3", "'-'", None, 42, "x" * 201, "Ana; DROP"])
def test_digits_control_characters_symbols_and_empty_names_are_refused(bad):
    with pytest.raises(DomainError) as exc:
        domain.clean_name(bad, field="members.0.given_names")
    assert exc.value.code == "person.name_invalid"
    assert exc.value.field == "members.0.given_names"


@given(st.text(alphabet=st.characters(categories=["Lu", "Ll", "Lo"]), min_size=1, max_size=50))
def test_any_unicode_letters_make_a_valid_name(text):
    import unicodedata

    assert domain.clean_name(text, field="f") == unicodedata.normalize("NFC", text)


@given(st.text(min_size=1, max_size=30).filter(lambda t: any(c.isdigit() for c in t)))
def test_a_name_with_a_digit_is_always_refused(text):
    with pytest.raises(DomainError):
        domain.clean_name(text, field="f")


def test_a_date_of_birth_in_the_future_is_refused():
    problems = domain.date_of_birth_problems(dt.date(2019, 3, 5), encounter_date=ENC,
                                             today=TODAY, field="dob")
    assert [p.code for p in problems] == ["person.dob_future"]


def test_a_date_of_birth_after_the_encounter_is_refused():
    problems = domain.date_of_birth_problems(dt.date(2019, 3, 2), encounter_date=ENC,
                                             today=dt.date(2019, 4, 1), field="dob")
    assert [p.code for p in problems] == ["person.dob_after_encounter"]


def test_a_baby_born_on_the_day_of_the_encounter_is_fine():
    assert domain.date_of_birth_problems(ENC, encounter_date=ENC, today=TODAY, field="d") == []


def test_age_counts_whole_years():
    assert domain.age_on(dt.date(2001, 3, 2), ENC) == 17
    assert domain.age_on(dt.date(2001, 3, 1), ENC) == 18


@pytest.mark.parametrize("raw,expected", [("HND", "HND"), ("gtm", "GTM"), (" slv ", "SLV"),
                                          ("XXA", "XXA")])
def test_nationality_codes_are_iso_alpha3(raw, expected):
    assert domain.clean_nationality(raw, field="n") == expected


@pytest.mark.parametrize("bad", ["XYZ", "HN", "Honduras", "", None, 3])
def test_unknown_nationality_codes_are_refused(bad):
    with pytest.raises(DomainError) as exc:
        domain.clean_nationality(bad, field="n")
    assert exc.value.code == "person.nationality_unknown"


def test_mayan_languages_are_iso_639_3_codes_and_duplicates_drop():
    assert domain.clean_languages(["quc", "SPA", "spa", "mam"], field="l") == ["quc", "spa", "mam"]
    assert domain.clean_languages("hat, fra", field="l") == ["hat", "fra"]


@pytest.mark.parametrize("bad,code", [([], "person.languages_required"),
                                      (["es"], "person.language_unknown"),
                                      (["klingon"], "person.language_unknown"),
                                      ([3], "person.language_unknown")])
def test_bad_languages_are_refused(bad, code):
    with pytest.raises(DomainError) as exc:
        domain.clean_languages(bad, field="l")
    assert exc.value.code == code


@pytest.mark.parametrize("raw", ["664 123 4567", "(664) 123-4567", "+52 664 123 4567",
                                 "+526641234567"])
def test_mexican_phone_numbers_become_e164(raw):
    assert domain.clean_phone(raw, field="p") == "+526641234567"


def test_foreign_numbers_with_a_country_code_are_kept():
    assert domain.clean_phone("+504 9988 7766", field="p") == "+50499887766"


@pytest.mark.parametrize("bad", ["", "12", "not a phone", "+52 000", None, "6" * 50])
def test_invalid_phone_numbers_are_refused(bad):
    with pytest.raises(DomainError) as exc:
        domain.clean_phone(bad, field="contacts.0.value")
    assert exc.value.code == "contact.phone_invalid"


@given(st.text(max_size=40))
def test_phone_parsing_never_raises_anything_but_a_domain_error(text):
    try:
        out = domain.clean_phone(text, field="p")
    except DomainError as exc:
        assert exc.code == "contact.phone_invalid"
    else:
        assert out.startswith("+")


# --- addresses ---------------------------------------------------------------------------

@pytest.mark.parametrize("line1", ["Facebook", "facebook.com/ana", "WhatsApp", "FB", "Whats App",
                                   "Messenger", "por Facebook"])
def test_social_networks_are_flagged_as_placeholders(line1):
    flags = domain.address_problems(AddressIn(line1=line1, city="Tijuana"))
    assert "address.placeholder_social_media" in flags


@pytest.mark.parametrize("line1", ["Domicilio conocido", "DOMICILIO CONOCIDO", "conocido",
                                   "N/A", "n/a", "Sin domicilio", "sin dirección", "Desconocido",
                                   "Calle conocida s/n"])
def test_unknown_placeholders_are_flagged(line1):
    flags = domain.address_problems(AddressIn(line1=line1, city="Tijuana"))
    assert "address.placeholder_unknown" in flags


def test_a_bare_city_is_flagged():
    assert domain.address_problems(AddressIn(city="Tijuana")) == ("address.city_only",)


def test_an_unconfirmed_shelter_is_flagged_and_a_confirmed_one_is_not():
    addr = AddressIn(line1="Calle Galileo 239", city="Tijuana")
    assert domain.address_problems(addr, shelter_given=True, shelter_confirmed=False) == (
        "address.shelter_unconfirmed",)
    assert domain.address_problems(addr, shelter_given=True, shelter_confirmed=True) == ()


def test_a_shelter_without_a_street_is_not_city_only():
    assert domain.address_problems(AddressIn(city="Tijuana"), shelter_given=True) == ()


def test_a_real_street_address_is_not_flagged():
    addr = AddressIn(line1="Avenida Constitución 1234", neighborhood="Zona Centro",
                     city="Tijuana", state="Baja California", postal_code="22000")
    assert domain.address_problems(addr) == ()


_words = st.sampled_from(["Calle", "Avenida", "Privada", "Callejón", "Boulevard"])
_names = st.sampled_from(["Ocampo", "Constitución", "Galileo", "Río Nazas", "Pípila",
                          "Niños Héroes"])


@given(_words, _names, st.integers(min_value=1, max_value=99999))
def test_street_addresses_with_numbers_are_never_flagged(kind, name, number):
    addr = AddressIn(line1=f"{kind} {name} {number}", city="Tijuana")
    assert domain.address_problems(addr) == ()


@given(st.sampled_from(["facebook", "whatsapp", "domicilio conocido", "n/a", "sin domicilio"]),
       st.sampled_from(["", " ", "  ", ".", "!"]), st.booleans())
def test_placeholders_are_flagged_whatever_the_case_spacing_or_punctuation(word, pad, upper):
    text = f"{pad}{word.upper() if upper else word.title()}{pad}"
    flags = domain.address_problems(AddressIn(line1=text, city="Tijuana"))
    assert flags and all(f.startswith("address.") for f in flags)
    assert "address.placeholder_social_media" in flags or "address.placeholder_unknown" in flags


@given(st.text(max_size=60), st.text(max_size=30), st.text(max_size=30))
def test_address_problems_only_returns_known_codes(line1, hood, city):
    flags = domain.address_problems(AddressIn(line1=line1, neighborhood=hood, city=city))
    assert set(flags) <= set(domain.ADDRESS_PROBLEM_MESSAGES)


def test_an_address_without_a_city_is_refused():
    errors = domain.address_input_problems(AddressIn(line1="Calle 1"), prefix="address")
    assert [(e.code, e.field) for e in errors] == [("address.city_required", "address.city")]


# --- families ----------------------------------------------------------------------------

def test_an_empty_family_is_refused():
    assert [e.code for e in domain.family_problems("family_unit", [])] == ["encounter.empty_family"]


@pytest.mark.parametrize("family_type,ages,code", [
    ("single_adult", [30, 5], "encounter.single_adult_mismatch"),
    ("single_adult", [15], "encounter.single_adult_mismatch"),
    ("unaccompanied_child", [30], "encounter.unaccompanied_child_mismatch"),
    ("unaccompanied_child", [10, 12], "encounter.unaccompanied_child_mismatch"),
    ("family_unit", [30, 28], "encounter.family_unit_mismatch"),
    ("family_unit", [10, 8], "encounter.family_unit_mismatch"),
    ("tribe", [30], "encounter.family_type_invalid"),
])
def test_the_family_type_must_match_the_ages(family_type, ages, code):
    assert [e.code for e in domain.family_problems(family_type, ages)] == [code]


@pytest.mark.parametrize("family_type,ages", [("single_adult", [18]), ("unaccompanied_child", [17]),
                                              ("family_unit", [35, 33, 9, 4]),
                                              ("family_unit", [40, 1])])
def test_families_that_match_their_type_pass(family_type, ages):
    assert domain.family_problems(family_type, ages) == []


def test_clean_member_collects_every_problem_of_a_member():
    raw = MemberIn(given_names="R2", surnames="", date_of_birth=dt.date(2030, 1, 1),
                   nationality="ZZZ", languages=("xx1",))
    member, errors = domain.clean_member(raw, index=2, encounter_date=ENC, today=TODAY)
    assert member is None
    assert {(e.code, e.field) for e in errors} == {
        ("person.name_invalid", "members.2.given_names"),
        ("person.name_invalid", "members.2.surnames"),
        ("person.nationality_unknown", "members.2.nationality"),
        ("person.language_unknown", "members.2.languages"),
        ("person.dob_future", "members.2.date_of_birth"),
    }


def test_the_head_of_family_is_the_one_marked_or_else_the_oldest():
    def m(dob, head=False):
        return domain.Member("A", "B", dob, "HND", ("spa",), "", "", head)

    assert domain.choose_head([m(dt.date(2010, 1, 1)), m(dt.date(1980, 1, 1))], "family_unit") == 1
    assert domain.choose_head([m(dt.date(2010, 1, 1), True), m(dt.date(1980, 1, 1))], "x") == 0


def test_an_address_change_filed_more_than_five_days_after_the_move_is_late():
    assert domain.address_change_is_late(dt.date(2019, 3, 1), dt.date(2019, 3, 7))
    assert not domain.address_change_is_late(dt.date(2019, 3, 1), dt.date(2019, 3, 6))
    assert not domain.address_change_is_late(None, dt.date(2019, 3, 6))


@given(st.sampled_from(domain.FAMILY_TYPES), st.lists(st.integers(0, 90), max_size=25))
def test_family_rules_accept_exactly_the_compositions_of_their_type(family_type, ages):
    adults = sum(a >= 18 for a in ages)
    minors = len(ages) - adults
    expected_ok = 0 < len(ages) <= 20 and {
        "single_adult": len(ages) == 1 and adults == 1,
        "unaccompanied_child": len(ages) == 1 and minors == 1,
        "family_unit": adults >= 1 and minors >= 1,
    }[family_type]
    problems = domain.family_problems(family_type, ages)
    assert (problems == []) == expected_ok
    assert len(problems) <= 1


# --- back from a fear interview -----------------------------------------------------------

from garita.intake.domain import (  # noqa: E402
    AFTER_NTA_STATUSES,
    CASE_TRANSITIONS,
    status_after_fear_interview,
)


def test_fear_interview_before_the_nta_decides_amenability():
    for before in ("encountered", "amenable", "not_amenable"):
        assert status_after_fear_interview(before, "positive") == "not_amenable"
        assert status_after_fear_interview(before, "negative") == "amenable"
        assert status_after_fear_interview(before, "closed") == "amenable"


def test_fear_interview_after_the_nta_keeps_the_case_in_mpp_or_takes_it_off():
    for before in ("nta_issued", "returned_to_mexico", "in_proceedings"):
        assert status_after_fear_interview(before, "positive") == "removed_from_mpp"
        assert status_after_fear_interview(before, "negative") == before
        assert status_after_fear_interview(before, "closed") == before


def test_every_status_a_fear_interview_can_lead_to_is_a_legal_transition():
    befores = [s for s, nxt in CASE_TRANSITIONS.items() if "pending_fear_interview" in nxt]
    assert set(AFTER_NTA_STATUSES) <= set(befores)
    for before in befores:
        for outcome in ("positive", "negative", "closed"):
            to = status_after_fear_interview(before, outcome)
            assert to in CASE_TRANSITIONS["pending_fear_interview"], (before, outcome, to)
