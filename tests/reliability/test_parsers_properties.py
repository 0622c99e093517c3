"""Property tests for the parsers that read hostile input: A-numbers, phone numbers, dates.

A parser either returns the canonical form or raises its stable error code; it never
crashes with anything else, and parsing its own output gives the same value back.
"""

from __future__ import annotations

import datetime as dt
import string

import phonenumbers
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from garita.core.errors import DomainError
from garita.intake.anumber import format_anumber, parse_anumber

settings.register_profile("garita-reliability", max_examples=200, deadline=None)
PROFILE = settings.get_profile("garita-reliability")

nine_digits = st.integers(min_value=1, max_value=999_999_999).map(lambda n: f"{n:09d}")
eight_digits = st.integers(min_value=1, max_value=99_999_999).map(lambda n: f"{n:08d}")
separators = st.sampled_from(["", " ", "-", ".", "  ", " - "])


def _spell(digits: str, seps: list[str], prefix: str) -> str:
    out = prefix
    for i, d in enumerate(digits):
        out += d + (seps[i % len(seps)] if i in (2, 5) else "")
    return out


# --- A-numbers ------------------------------------------------------------------------------


@PROFILE
@given(digits=nine_digits, seps=st.lists(separators, min_size=1, max_size=3),
       prefix=st.sampled_from(["", "A", "a", "A-", "A ", " A"]))
def test_any_common_spelling_of_an_a_number_parses_to_the_canonical_form(digits, seps, prefix):
    assert parse_anumber(_spell(digits, seps, prefix)) == "A" + digits


@PROFILE
@given(digits=eight_digits)
def test_an_old_eight_digit_a_number_gets_a_leading_zero(digits):
    assert parse_anumber("A" + digits) == "A0" + digits


@PROFILE
@given(digits=nine_digits)
def test_parsing_is_idempotent_and_display_form_round_trips(digits):
    canonical = parse_anumber(digits)
    assert parse_anumber(canonical) == canonical
    assert parse_anumber(format_anumber(canonical)) == canonical
    assert len(canonical) == 10 and canonical[0] == "A" and canonical[1:].isdigit()


@PROFILE
@given(raw=st.one_of(st.text(max_size=40), st.binary(max_size=20), st.integers(), st.none(),
                     st.lists(st.text(max_size=3), max_size=3)))
@example(raw="A000000000")
@example(raw="A12345678901")
@example(raw="١٢٣٤٥٦٧٨٩")  # Arabic-Indic digits are digits to Python, not to an A-number
@example(raw="A1234567\x00")
def test_arbitrary_input_either_parses_or_raises_anumber_invalid(raw):
    try:
        canonical = parse_anumber(raw)
    except DomainError as err:
        assert err.code == "anumber.invalid"
        assert err.field == "a_number"
        return
    assert len(canonical) == 10 and canonical[0] == "A"
    assert canonical[1:].isascii() and canonical[1:].isdigit() and canonical != "A000000000"


@PROFILE
@given(digits=st.text(alphabet=string.digits, min_size=1, max_size=14).filter(
    lambda d: len(d) not in (8, 9)))
def test_wrong_length_numbers_are_refused(digits):
    with pytest.raises(DomainError) as err:
        parse_anumber(digits)
    assert err.value.code == "anumber.invalid"


# --- phone numbers (E.164 via phonenumbers, as the hotline and notifications store them) ----


mx_mobile = st.integers(min_value=0, max_value=9_999_999).map(lambda n: f"+52664{n:07d}")
us_number = st.integers(min_value=0, max_value=9_999_999).map(lambda n: f"+1619{n:07d}")


@PROFILE
@given(number=st.one_of(mx_mobile, us_number),
       style=st.sampled_from([phonenumbers.PhoneNumberFormat.INTERNATIONAL,
                              phonenumbers.PhoneNumberFormat.E164,
                              phonenumbers.PhoneNumberFormat.RFC3966]))
def test_a_phone_number_in_any_format_normalises_to_the_same_e164(number, style):
    parsed = phonenumbers.parse(number, None)
    text = phonenumbers.format_number(parsed, style)
    again = phonenumbers.parse(text, "MX")
    assert phonenumbers.format_number(again, phonenumbers.PhoneNumberFormat.E164) == number


@PROFILE
@given(raw=st.text(max_size=40), region=st.sampled_from(["MX", "US", "GT", "HN", None]))
def test_arbitrary_text_never_crashes_the_phone_parser(raw, region):
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    assert e164.startswith("+") and e164[1:].isdigit()


# --- dates (ISO dates from forms, the API and `--today`) -------------------------------------


@PROFILE
@given(day=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_iso_dates_round_trip(day):
    assert dt.date.fromisoformat(day.isoformat()) == day


@PROFILE
@given(raw=st.text(max_size=20))
def test_arbitrary_text_either_parses_as_a_date_or_raises_value_error(raw):
    from django.forms import DateField, ValidationError

    field = DateField()
    try:
        value = field.clean(raw)
    except ValidationError as err:
        assert err.code in ("invalid", "required")
        return
    assert isinstance(value, dt.date)


@PROFILE
@given(day=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_the_form_date_field_reads_its_own_iso_output(day):
    from django.forms import DateField

    assert DateField().clean(day.isoformat()) == day


# --- hotline: SMS keywords and DTMF digits (the hotline's own tests cover "never raises") ----

_STATUS_WORDS = sorted(__import__("garita.hotline.domain", fromlist=["x"]).SMS_KEYWORDS["status"])


@settings(max_examples=150, deadline=None)
@given(
    word=st.sampled_from(_STATUS_WORDS),
    case=st.sampled_from([str.upper, str.lower, str.title]),
    digits=st.text(alphabet="0123456789", min_size=9, max_size=9).filter(lambda d: d.strip("0")),
    pin=st.text(alphabet="0123456789", min_size=6, max_size=6),
    sep=st.sampled_from(["", "-", "."]),
    gap=st.sampled_from([" ", "  ", "\n", " \t "]),
)
def test_any_spelling_of_a_status_sms_reads_back_the_a_number_and_pin(word, case, digits, pin,
                                                                        sep, gap):
    from garita.hotline.domain import parse_sms
    from garita.intake.anumber import parse_anumber

    a_text = "A" + sep.join([digits[:3], digits[3:6], digits[6:]])
    cmd = parse_sms(f"{case(word)}{gap}{a_text}{gap}{pin}")
    assert cmd.kind == "status"
    assert cmd.pin == pin
    assert parse_anumber(cmd.a_number) == "A" + digits


@settings(max_examples=150, deadline=None)
@given(digits=st.text(alphabet="0123456789", min_size=1, max_size=12),
       noise=st.lists(st.sampled_from([" ", "-", ".", "#"]), max_size=3))
def test_dtmf_digits_survive_cleaning_with_separators_and_the_finish_key(digits, noise):
    from garita.hotline.domain import clean_digits

    keyed = "".join(d + (noise[i] if i < len(noise) else "") for i, d in enumerate(digits)) + "#"
    assert clean_digits(keyed) == digits
    assert clean_digits(keyed.replace(digits[0], "*", 1)) == ""  # a star is not a digit
