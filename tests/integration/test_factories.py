import pytest

from garita.intake.pins import pin_matches
from tests.factories import make_case, make_family

pytestmark = pytest.mark.django_db


def test_make_case_gives_a_case_with_a_checkable_pin():
    case = make_case()
    assert pin_matches(case.a_number, case.pin, case.lookup_pin_digest)
    assert not pin_matches(case.a_number, "000000", case.lookup_pin_digest)


def test_make_family_shares_one_encounter():
    cases = make_family(4)
    assert len({c.person.encounter_id for c in cases}) == 1
