"""The Idempotency-Key rules as pure functions: valid keys, "the same request", which
answers are kept."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from garita.idempotency import domain

printable = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E),
                    min_size=1, max_size=255)


@given(printable)
def test_a_key_is_valid_when_it_has_no_surrounding_space(key):
    assert domain.valid_key(key) == (key == key.strip(" "))


@given(printable)
def test_the_openapi_pattern_says_what_the_server_checks(key):
    # Python's `re` reads this ECMA pattern the same way for ASCII text.
    assert (re.fullmatch(domain.KEY_PATTERN.strip("^$"), key) is not None) == \
        domain.valid_key(key)


@pytest.mark.parametrize("key", ["", "a" * 256, "ñ", "a\tb", "a\nb", "\x00", " a", "a "])
def test_invalid_keys(key):
    assert not domain.valid_key(key)


@pytest.mark.parametrize("key", ["a", "a" * 255, "550e8400-e29b-41d4-a716-446655440000",
                                 '"sf-string"', "a b"])
def test_valid_keys(key):
    assert domain.valid_key(key)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                 max_size=3),
    max_leaves=10)


@given(st.dictionaries(st.text(max_size=5), json_values, max_size=5))
def test_key_order_and_whitespace_do_not_change_the_fingerprint(data):
    a = json.dumps(data).encode()
    b = json.dumps(dict(reversed(list(data.items()))), indent=3).encode()
    fp = lambda body: domain.fingerprint("k", method="POST", path="/p", query="", body=body)  # noqa: E731
    assert fp(a) == fp(b)


def test_method_path_query_body_and_key_each_change_the_fingerprint():
    base = dict(method="POST", path="/api/v1/x", query="a=1&b=2", body=b'{"n": 1}')
    fp = domain.fingerprint("k", **base)
    assert domain.fingerprint("k", **{**base, "query": "b=2&a=1"}) == fp
    for change in ({"method": "PUT"}, {"path": "/api/v1/y"}, {"query": "a=2&b=2"},
                   {"body": b'{"n": 2}'}, {"body": b""}):
        assert domain.fingerprint("k", **{**base, **change}) != fp, change
    assert domain.fingerprint("other", **base) != fp


def test_the_parts_cannot_run_into_each_other():
    a = domain.fingerprint("k", method="POST", path="/ab", query="", body=b"")
    b = domain.fingerprint("k", method="POST", path="/a", query="", body=b"b")
    assert a != b


@pytest.mark.parametrize(("status", "kept"), [
    (200, True), (201, True), (204, True), (400, True), (403, True), (404, True),
    (409, True), (422, True), (408, False), (425, False), (429, False), (500, False),
    (503, False), (302, False), (101, False)])
def test_which_answers_are_kept(status, kept):
    assert domain.storable(status) is kept
