"""A-number parsing: every common spelling to one canonical form; garbage is refused."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from garita.core.errors import DomainError
from garita.intake.anumber import format_anumber, parse_anumber


@pytest.mark.parametrize(
    "raw",
    ["A234567890", "a-234-567-890", "234 567 890", "234567890", " A 234.567.890 "],
)
def test_common_spellings_parse_to_one_canonical_form(raw):
    assert parse_anumber(raw) == "A234567890"


def test_eight_digit_numbers_are_padded_with_a_leading_zero():
    assert parse_anumber("A12345678") == "A012345678"
    assert parse_anumber("12-345-678") == "A012345678"


@pytest.mark.parametrize(
    "raw", ["", "A", "A1234567", "A1234567890", "B234567890", "A23456789O", "２３４５６７８９０",
            "A000000000", "234567890A", None, 234567890]
)
def test_garbage_is_refused_with_a_stable_code(raw):
    with pytest.raises(DomainError) as exc:
        parse_anumber(raw)
    assert exc.value.code == "anumber.invalid"


@given(st.integers(min_value=1, max_value=999_999_999))
def test_canonical_form_round_trips_through_display_form(n):
    canonical = "A" + str(n).zfill(9)
    assert parse_anumber(canonical) == canonical
    assert parse_anumber(format_anumber(canonical)) == canonical


@given(st.text(max_size=20))
def test_any_text_either_parses_to_ten_characters_or_is_refused(text):
    try:
        out = parse_anumber(text)
    except DomainError as exc:
        assert exc.code == "anumber.invalid"
    else:
        assert len(out) == 10 and out[0] == "A" and out[1:].isdigit()
