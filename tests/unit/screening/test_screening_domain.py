"""MPP screening rules: every reason, their combinations, rollout dates, fear and families."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from garita.core.errors import DomainError
from garita.screening.countries import ISO_ALPHA3, SPANISH_SPEAKING
from garita.screening.domain import (
    DEFAULT_RULE_SET,
    FLAG_KEYS,
    PROFILE_KEYS,
    Code,
    FamilyPolicy,
    Outcome,
    RuleSet,
    ScreeningProfile,
    evaluate,
    evaluate_family,
)

D = dt.date


def profile(**kw) -> ScreeningProfile:
    base = dict(port="san-ysidro", encounter_date=D(2019, 7, 1), date_of_birth=D(1990, 5, 17),
                nationality="HND", family_type="single_adult")
    base.update(kw)
    return ScreeningProfile(**base)


def codes(p: ScreeningProfile, rules: RuleSet = DEFAULT_RULE_SET) -> set[str]:
    return set(evaluate(p, rules).codes)


def test_a_honduran_single_adult_in_july_2019_is_amenable_with_no_reasons():
    d = evaluate(profile(), DEFAULT_RULE_SET)
    assert d.outcome == Outcome.AMENABLE
    assert d.reasons == ()
    assert d.rule_set_version == DEFAULT_RULE_SET.version


@pytest.mark.parametrize(
    ("flag", "code"),
    [
        ("processed_for_expedited_removal", Code.EXPEDITED_REMOVAL),
        ("returning_lpr", Code.RETURNING_LPR),
        ("parole", Code.PAROLE),
        ("known_health_issue", Code.HEALTH),
        ("criminal_history", Code.CRIMINAL_HISTORY),
        ("government_interest", Code.GOVERNMENT_INTEREST),
        ("pregnant", Code.PREGNANCY),
    ],
)
def test_each_flag_gives_its_own_named_reason(flag, code):
    d = evaluate(profile(**{flag: True}), DEFAULT_RULE_SET)
    assert d.outcome == Outcome.NOT_AMENABLE
    assert d.codes == (code,)
    assert str(d.reasons[0].message)


def test_a_mexican_national_is_not_amenable_and_not_enrolled():
    assert codes(profile(nationality="MEX")) == {Code.MEXICAN_NATIONAL, Code.NOT_ENROLLING}


def test_an_unaccompanied_child_is_never_enrolled():
    p = profile(family_type="unaccompanied_child", date_of_birth=D(2004, 1, 1))
    assert codes(p) == {Code.UNACCOMPANIED_CHILD, Code.NOT_ENROLLING}


def test_a_minor_recorded_as_a_single_adult_is_treated_as_an_unaccompanied_child():
    p = profile(date_of_birth=D(2002, 7, 2))  # 16 on the encounter date
    assert Code.UNACCOMPANIED_CHILD in codes(p)


def test_a_person_turning_18_on_the_encounter_day_is_an_adult():
    assert codes(profile(date_of_birth=D(2001, 7, 1))) == set()
    assert Code.UNACCOMPANIED_CHILD in codes(profile(date_of_birth=D(2001, 7, 2)))


def test_a_child_in_a_family_unit_is_not_an_unaccompanied_child():
    assert codes(profile(family_type="family_unit", date_of_birth=D(2012, 1, 5))) == set()


def test_port_director_discretion_needs_a_written_reason_and_keeps_it():
    d = evaluate(profile(port_director_exclusion="Testigo en un caso federal"), DEFAULT_RULE_SET)
    assert d.codes == (Code.PORT_DIRECTOR_DISCRETION,)
    assert d.reasons[0].detail == "Testigo en un caso federal"
    assert "Testigo en un caso federal" in d.as_dict()["reasons"][0]["message"]
    for empty in ("", "   "):
        with pytest.raises(DomainError) as err:
            profile(port_director_exclusion=empty)
        assert err.value.field == "port_director_exclusion"


def test_pregnancy_is_a_configurable_vulnerability():
    without = RuleSet.from_definition(
        "v9", {**DEFAULT_RULE_SET.definition(), "vulnerability_exclusions": []})
    assert codes(profile(pregnant=True), without) == set()
    assert codes(profile(pregnant=True)) == {Code.PREGNANCY}


def test_every_applicable_reason_is_returned_not_only_the_first():
    p = profile(nationality="MEX", family_type="unaccompanied_child",
                date_of_birth=D(2005, 3, 3), processed_for_expedited_removal=True,
                returning_lpr=True, parole=True, known_health_issue=True,
                criminal_history=True, government_interest=True, pregnant=True,
                fear_of_return="asked", fear_interview_outcome="positive",
                port_director_exclusion="Caso de trata")
    assert codes(p) == set(Code)


# Rollout at San Ysidro -----------------------------------------------------------------

@pytest.mark.parametrize(
    ("day", "nationality", "family_type", "enrolled"),
    [
        (D(2019, 1, 27), "HND", "single_adult", False),
        (D(2019, 1, 28), "HND", "single_adult", True),
        (D(2019, 1, 28), "GTM", "single_adult", True),
        (D(2019, 1, 28), "SLV", "single_adult", True),
        (D(2019, 1, 28), "HND", "family_unit", False),
        (D(2019, 2, 12), "GTM", "family_unit", False),
        (D(2019, 2, 13), "GTM", "family_unit", True),
        (D(2019, 5, 31), "CUB", "single_adult", False),
        (D(2019, 5, 31), "VEN", "family_unit", False),
        (D(2019, 6, 1), "CUB", "single_adult", True),
        (D(2019, 6, 1), "VEN", "family_unit", True),
        (D(2019, 6, 1), "NIC", "single_adult", True),
        (D(2019, 6, 1), "BRA", "single_adult", False),
        (D(2019, 6, 1), "HTI", "family_unit", False),
        (D(2019, 6, 1), "PRI", "single_adult", False),
    ],
)
def test_san_ysidro_rollout_dates(day, nationality, family_type, enrolled):
    p = profile(encounter_date=day, nationality=nationality, family_type=family_type,
                date_of_birth=D(1985, 1, 1))
    assert (Code.NOT_ENROLLING not in codes(p)) is enrolled


def test_other_ports_enrol_from_june_2019_only():
    assert Code.NOT_ENROLLING in codes(profile(port="el-paso", encounter_date=D(2019, 5, 31)))
    assert codes(profile(port="el-paso", encounter_date=D(2019, 6, 1))) == set()
    assert Code.NOT_ENROLLING in codes(profile(port="nogales", encounter_date=D(2019, 8, 1)))


def test_the_spanish_speaking_list_excludes_mexico_and_puerto_rico():
    assert "MEX" not in SPANISH_SPEAKING and "PRI" not in SPANISH_SPEAKING
    assert {"ARG", "ESP", "GNQ", "URY", "CUB", "DOM"} <= SPANISH_SPEAKING


# Fear of return ------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["volunteered", "asked"])
def test_fear_from_an_otherwise_amenable_person_waits_for_an_interview(how):
    d = evaluate(profile(fear_of_return=how), DEFAULT_RULE_SET)
    assert d.outcome == Outcome.PENDING_FEAR_INTERVIEW
    assert d.reasons == ()


def test_a_positive_fear_finding_takes_the_person_out_of_mpp():
    d = evaluate(profile(fear_of_return="asked", fear_interview_outcome="positive"),
                 DEFAULT_RULE_SET)
    assert d.outcome == Outcome.NOT_AMENABLE
    assert d.codes == (Code.FEAR_POSITIVE,)


@pytest.mark.parametrize("outcome", ["negative", "closed"])
def test_a_negative_or_closed_interview_leaves_the_person_amenable(outcome):
    d = evaluate(profile(fear_of_return="volunteered", fear_interview_outcome=outcome),
                 DEFAULT_RULE_SET)
    assert d.outcome == Outcome.AMENABLE


def test_fear_from_an_excluded_person_does_not_hide_the_exclusion():
    d = evaluate(profile(fear_of_return="asked", criminal_history=True), DEFAULT_RULE_SET)
    assert d.outcome == Outcome.NOT_AMENABLE
    assert d.codes == (Code.CRIMINAL_HISTORY,)


def test_an_interview_outcome_without_a_claim_is_refused():
    with pytest.raises(DomainError) as err:
        profile(fear_interview_outcome="negative")
    assert err.value.field == "fear_interview_outcome"


# Families ------------------------------------------------------------------------------

def family(*members: dict) -> list[ScreeningProfile]:
    return [profile(family_type="family_unit", **m) for m in members]


def test_one_excluded_member_keeps_the_whole_family_in_the_us_and_is_named():
    fam = family({}, {"known_health_issue": True}, {"date_of_birth": D(2012, 1, 5)})
    d = evaluate_family(fam, DEFAULT_RULE_SET, names=["José", "Ana", "Kevin"])
    assert d.outcome == Outcome.NOT_AMENABLE
    assert d.member_outcomes == (Outcome.NOT_AMENABLE,) * 3
    assert [(r.name, r.code) for r in d.reasons] == [("Ana", Code.HEALTH)]
    assert d.members[0].outcome == Outcome.AMENABLE  # each person's own decision is kept
    assert d.policy == FamilyPolicy.KEEP_TOGETHER


def test_one_member_with_fear_makes_the_whole_family_wait():
    d = evaluate_family(family({}, {"fear_of_return": "volunteered"}), DEFAULT_RULE_SET)
    assert d.outcome == Outcome.PENDING_FEAR_INTERVIEW
    assert set(d.member_outcomes) == {Outcome.PENDING_FEAR_INTERVIEW}
    assert [r.code for r in d.reasons] == ["FEAR_CLAIM_OPEN"]
    assert d.reasons[0].member == 1


def test_the_individual_policy_is_data_and_is_recorded():
    rules = RuleSet.from_definition(
        "v2", {**DEFAULT_RULE_SET.definition(), "family_policy": "individual"})
    d = evaluate_family(family({}, {"parole": True}), rules)
    assert d.policy == "individual"
    assert d.member_outcomes == (Outcome.AMENABLE, Outcome.NOT_AMENABLE)
    assert d.as_dict()["policy"] == "individual"


def test_an_empty_family_is_refused():
    with pytest.raises(DomainError) as err:
        evaluate_family([], DEFAULT_RULE_SET)
    assert err.value.code == "screening.empty_family"


# Parsing and rule sets -----------------------------------------------------------------

def good_json() -> dict:
    return profile().as_dict()


@pytest.mark.parametrize("key", PROFILE_KEYS)
def test_a_missing_key_is_named(key):
    data = good_json()
    del data[key]
    with pytest.raises(DomainError) as err:
        ScreeningProfile.from_dict(data)
    assert err.value.code == "screening.profile_invalid"
    assert err.value.field == key


@pytest.mark.parametrize(
    ("key", "value"),
    [("encounter_date", "2019-13-01"), ("date_of_birth", 19900517), ("nationality", "XXX"),
     ("nationality", "hnd"), ("family_type", "couple"), ("parole", "yes"), ("pregnant", 1),
     ("fear_of_return", "maybe"), ("fear_interview_outcome", "granted"), ("port", "San Ysidro"),
     ("port_director_exclusion", 5), ("date_of_birth", "2020-01-01")],
)
def test_a_malformed_key_is_named(key, value):
    data = {**good_json(), key: value}
    with pytest.raises(DomainError) as err:
        ScreeningProfile.from_dict(data)
    assert err.value.field == key


def test_an_unknown_key_is_named():
    with pytest.raises(DomainError) as err:
        ScreeningProfile.from_dict({**good_json(), "religion": "x"})
    assert err.value.field == "religion"


def test_the_default_rule_set_round_trips_through_its_json():
    again = RuleSet.from_definition("v1", DEFAULT_RULE_SET.definition())
    assert again == DEFAULT_RULE_SET


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"windows": "all"}, "windows"),
        ({"windows": [{"port": "san-ysidro", "from": "2019-01-28", "nationalities": ["MEX"],
                       "family_types": ["single_adult"]}]}, "windows[0].nationalities"),
        ({"windows": [{"port": "san-ysidro", "from": "2019-01-28", "nationalities": ["HND"],
                       "family_types": ["unaccompanied_child"]}]}, "windows[0].family_types"),
        ({"windows": [{"port": "san-ysidro", "from": "2019-28-01", "nationalities": ["HND"],
                       "family_types": ["single_adult"]}]}, "windows[0].from"),
        ({"vulnerability_exclusions": ["LEFT_HANDED"]}, "vulnerability_exclusions"),
        ({"family_policy": "split"}, "family_policy"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_a_bad_rule_set_is_refused_with_the_field(change, field):
    with pytest.raises(DomainError) as err:
        RuleSet.from_definition("v2", {**DEFAULT_RULE_SET.definition(), **change})
    assert err.value.code == "ruleset.invalid"
    assert err.value.field == field


# Properties ----------------------------------------------------------------------------

profiles = st.builds(
    ScreeningProfile,
    port=st.sampled_from(["san-ysidro", "el-paso", "calexico", "nogales"]),
    encounter_date=st.dates(D(2018, 6, 1), D(2021, 1, 31)),
    date_of_birth=st.dates(D(1950, 1, 1), D(2018, 5, 31)),
    nationality=st.sampled_from(sorted(SPANISH_SPEAKING | {"MEX", "BRA", "HTI", "CMR"})),
    family_type=st.sampled_from(["single_adult", "family_unit", "unaccompanied_child"]),
    **{k: st.booleans() for k in FLAG_KEYS},
    fear_of_return=st.sampled_from(["none", "volunteered", "asked"]),
    port_director_exclusion=st.one_of(st.none(), st.text(min_size=1).filter(str.strip)),
).flatmap(
    lambda p: st.sampled_from(
        [None, "positive", "negative", "closed"] if p.fear_claimed else [None]
    ).map(lambda o: p.replace(fear_interview_outcome=o))
)


@given(profiles)
def test_amenable_iff_no_reason_applies_and_no_fear_claim_is_open(p):
    d = evaluate(p, DEFAULT_RULE_SET)
    open_fear = p.fear_claimed and p.fear_interview_outcome is None
    assert (d.outcome == Outcome.AMENABLE) == (not d.reasons and not open_fear)
    assert (d.outcome == Outcome.NOT_AMENABLE) == bool(d.reasons)


@given(profiles)
def test_reasons_are_never_dropped(p):
    d = evaluate(p, DEFAULT_RULE_SET)
    expected = {code for flag, code in [
        (p.processed_for_expedited_removal, Code.EXPEDITED_REMOVAL),
        (p.returning_lpr, Code.RETURNING_LPR), (p.parole, Code.PAROLE),
        (p.known_health_issue, Code.HEALTH), (p.criminal_history, Code.CRIMINAL_HISTORY),
        (p.government_interest, Code.GOVERNMENT_INTEREST), (p.pregnant, Code.PREGNANCY),
        (p.nationality == "MEX", Code.MEXICAN_NATIONAL),
        (p.family_type == "unaccompanied_child", Code.UNACCOMPANIED_CHILD),
        (p.fear_interview_outcome == "positive", Code.FEAR_POSITIVE),
        (p.port_director_exclusion is not None, Code.PORT_DIRECTOR_DISCRETION),
    ] if flag}
    assert expected <= set(d.codes)
    assert len(d.codes) == len(set(d.codes))


@given(profiles)
def test_unaccompanied_children_and_mexicans_are_never_amenable(p):
    d = evaluate(p, DEFAULT_RULE_SET)
    if p.family_type == "unaccompanied_child" or p.nationality == "MEX":
        assert d.outcome == Outcome.NOT_AMENABLE


@given(st.lists(profiles, min_size=1, max_size=6))
def test_a_kept_together_family_is_never_split(members):
    d = evaluate_family(members, DEFAULT_RULE_SET)
    assert set(d.member_outcomes) == {d.outcome}
    if any(m.outcome == Outcome.NOT_AMENABLE for m in d.members):
        assert d.outcome == Outcome.NOT_AMENABLE
        assert {r.code for r in d.reasons} >= {c for m in d.members for c in m.codes}


def test_the_country_list_has_every_iso_code():
    assert len(ISO_ALPHA3) == 249
