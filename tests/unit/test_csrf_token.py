"""garita.core.csrf.get_token: Django's CSRF token, with a mask drawn in one read."""

from __future__ import annotations

from collections import Counter

from django.middleware import csrf as django_csrf
from django.test import RequestFactory

from garita.core import csrf


def test_the_token_unmasks_to_the_secret_and_has_djangos_shape():
    secret = django_csrf._get_new_csrf_string()
    tokens = {csrf.mask_secret(secret) for _ in range(200)}
    assert len(tokens) == 200  # a fresh mask every time
    for token in tokens:
        assert len(token) == django_csrf.CSRF_TOKEN_LENGTH
        assert set(token) <= set(django_csrf.CSRF_ALLOWED_CHARS)
        assert django_csrf._unmask_cipher_token(token) == secret
        assert django_csrf._does_token_match(token, secret)


def test_mask_characters_cover_the_alphabet_evenly():
    secret = django_csrf._get_new_csrf_string()
    counts = Counter(c for _ in range(2000) for c in csrf.mask_secret(secret)[:32])
    expected = 2000 * 32 / 62  # ~1032 per character
    assert set(counts) == set(django_csrf.CSRF_ALLOWED_CHARS)
    assert all(0.8 * expected < n < 1.2 * expected for n in counts.values()), counts


def test_request_side_effects_are_djangos():
    rf = RequestFactory()
    ours, theirs = rf.get("/"), rf.get("/")
    for request in (ours, theirs):
        request.META["CSRF_COOKIE"] = "a" * 32
    csrf.get_token(ours)
    django_csrf.get_token(theirs)
    keys = ("CSRF_COOKIE", "CSRF_COOKIE_NEEDS_UPDATE")
    assert [ours.META.get(k) for k in keys] == [theirs.META.get(k) for k in keys]
    new_visitor = rf.get("/")
    token = csrf.get_token(new_visitor)  # no cookie yet: Django makes the secret
    assert new_visitor.META["CSRF_COOKIE_NEEDS_UPDATE"] is True
    assert django_csrf._unmask_cipher_token(token) == new_visitor.META["CSRF_COOKIE"]
