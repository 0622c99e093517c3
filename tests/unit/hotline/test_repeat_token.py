"""The IVR's "press 1 to repeat" token: signed, short-lived, and nothing else accepted."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from garita.hotline.voice import REPEAT_MAX_AGE, repeat_case_id, repeat_token

NOW = 1_900_000_000.0


def test_round_trip_within_the_time_limit():
    token = repeat_token(4242, now=NOW)
    assert repeat_case_id(token, now=NOW) == 4242
    assert repeat_case_id(token, now=NOW + REPEAT_MAX_AGE) == 4242


@pytest.mark.parametrize("later", [REPEAT_MAX_AGE + 1, -5])
def test_expired_or_future_tokens_are_refused(later):
    with pytest.raises(ValueError):
        repeat_case_id(repeat_token(1, now=NOW), now=NOW + later)


def test_a_changed_case_id_or_time_breaks_the_signature():
    case_id, issued, mac = repeat_token(7, now=NOW).split(".")
    for forged in (f"8.{issued}.{mac}", f"{case_id}.{int(NOW) + 100}.{mac}",
                   f"{case_id}.{issued}.{mac[:-1]}A", f"{case_id}.{issued}"):
        with pytest.raises(ValueError):
            repeat_case_id(forged, now=NOW)


def test_a_token_from_the_previous_secret_still_works_after_rotation(settings):
    old = repeat_token(9, now=NOW)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    assert repeat_case_id(old, now=NOW) == 9
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(ValueError):
        repeat_case_id(old, now=NOW)


@given(st.text(max_size=80))
def test_any_other_text_is_refused_with_value_error(text):
    with pytest.raises(ValueError):
        repeat_case_id(text, now=NOW)
