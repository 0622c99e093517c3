"""Security hardening: login throttling, Argon2, CSRF on every form, CSP, production settings.

Each test names one guarantee; `check --deploy` runs the real production settings in a
subprocess so a change to settings.py that weakens them fails here.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys

import pytest
from django.test import Client

from garita.accounts.roles import Role

pytestmark = pytest.mark.db_backend

LOGIN = "/accounts/login/"
PASSWORD = "correct horse 9"  # the password tests/conftest.py gives every user


@pytest.fixture
def fast_hashing(settings):
    # Argon2 is deliberately slow; tests about throttling and CSRF need not pay for it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def officer(fast_hashing, make_user):
    return make_user(Role.PORT_OFFICER)


@pytest.fixture
def admin_user(fast_hashing, make_user):
    return make_user(Role.ADMINISTRATOR)


def _fail_login(client: Client, username: str):
    return client.post(LOGIN, {"username": username, "password": "wrong password"},
                       REMOTE_ADDR="198.51.100.7")


@pytest.mark.django_db
def test_five_failed_logins_lock_the_username_from_that_address(client, officer):
    for _ in range(5):
        _fail_login(client, officer.username)
    res = client.post(LOGIN, {"username": officer.username, "password": PASSWORD},
                      REMOTE_ADDR="198.51.100.7")
    assert res.status_code in (403, 429)
    assert "_auth_user_id" not in client.session
    assert "Too many failed log-ins" in res.content.decode()


@pytest.mark.django_db
def test_the_lock_is_per_address_so_a_colleague_elsewhere_still_logs_in(client, officer):
    for _ in range(5):
        _fail_login(client, officer.username)
    other = Client()
    res = other.post(LOGIN, {"username": officer.username, "password": PASSWORD},
                     REMOTE_ADDR="203.0.113.9")
    assert res.status_code == 302
    assert other.session["_auth_user_id"] == str(officer.pk)


@pytest.mark.django_db
def test_a_successful_login_resets_the_failure_count(client, officer):
    for _ in range(4):
        _fail_login(client, officer.username)
    ok = client.post(LOGIN, {"username": officer.username, "password": PASSWORD},
                     REMOTE_ADDR="198.51.100.7")
    assert ok.status_code == 302
    client.logout()
    for _ in range(4):
        _fail_login(client, officer.username)
    again = client.post(LOGIN, {"username": officer.username, "password": PASSWORD},
                        REMOTE_ADDR="198.51.100.7")
    assert again.status_code == 302, "four failures after a success must not lock"


@pytest.mark.django_db
def test_four_failures_do_not_lock(client, officer):
    for _ in range(4):
        assert _fail_login(client, officer.username).status_code == 200
    ok = client.post(LOGIN, {"username": officer.username, "password": PASSWORD},
                     REMOTE_ADDR="198.51.100.7")
    assert ok.status_code == 302


@pytest.mark.django_db
def test_new_passwords_are_hashed_with_argon2(make_user):
    officer = make_user(Role.PORT_OFFICER)
    assert officer.password.startswith("argon2$")
    officer.set_password("another long passphrase 7")
    assert officer.password.startswith("argon2")
    assert officer.check_password("another long passphrase 7")


@pytest.mark.django_db
def test_login_without_a_csrf_token_is_refused_with_403(officer):
    client = Client(enforce_csrf_checks=True)
    res = client.post(LOGIN, {"username": officer.username, "password": PASSWORD})
    assert res.status_code == 403
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_login_with_the_csrf_token_from_the_form_succeeds(officer):
    client = Client(enforce_csrf_checks=True)
    page = client.get(LOGIN).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "the login form carries a CSRF token"
    res = client.post(LOGIN, {"username": officer.username, "password": PASSWORD,
                              "csrfmiddlewaretoken": token.group(1)})
    assert res.status_code == 302


@pytest.mark.django_db
def test_a_script_with_an_api_token_can_post_without_a_csrf_token(officer):
    """Real clients enforce CSRF (the test client does not by default): a POST with a
    bearer token and no cookies must reach the endpoint, not die in the CSRF check."""
    from garita.accounts.models import ApiToken

    _, token = ApiToken.issue(officer, "script")
    for header in ({"HTTP_AUTHORIZATION": f"Bearer {token}"}, {"HTTP_X_API_TOKEN": token}):
        client = Client(enforce_csrf_checks=True, **header)
        res = client.post("/api/v1/waitlist/san-ysidro/call", {"capacity": 5},
                          content_type="application/json")
        assert res.status_code != 403, res.content
        assert res.json().get("code") != "permission.denied"


@pytest.mark.django_db
def test_a_session_post_to_the_api_without_a_csrf_token_is_still_refused(officer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    res = client.post("/api/v1/waitlist/san-ysidro/call", {"capacity": 5},
                      content_type="application/json")
    assert res.status_code == 403


FORM_POST = re.compile(r"<form\b[^>]*\bmethod=[\"']?post", re.I)
FORM_BLOCK = re.compile(r"<form\b[^>]*\bmethod=[\"']?post[^>]*>(.*?)</form>", re.I | re.S)


@pytest.mark.django_db
def test_every_page_with_a_post_form_carries_a_csrf_token(admin_user, ports):
    """Walk every URL pattern (parameters filled with samples) as a logged-in administrator:
    every POST form on every page carries the CSRF token."""
    from django.contrib import admin

    from tests.factories import make_case
    from tests.reliability.access_policy import SAMPLE_PARAMS, Samples
    from tests.reliability.endpoints import pages_outside_api

    samples = Samples(values={
        "port_slug": "san-ysidro", "case": make_case(),
        "admin_app_label": next(iter(m._meta.app_label for m in admin.site._registry), "auth"),
    })
    client = Client()
    client.force_login(admin_user)
    checked_forms = 0
    pages = 0
    for endpoint in pages_outside_api():
        if endpoint.name and endpoint.name.endswith("logout"):
            continue
        if any(p not in SAMPLE_PARAMS for p in endpoint.params):
            continue  # the access matrix fails for unfilled parameters
        url = endpoint.path
        for p in endpoint.params:
            url = url.replace("{" + p + "}", str(SAMPLE_PARAMS[p](samples)))
        res = client.get(url)
        if res.status_code != 200 or "html" not in res.get("Content-Type", ""):
            continue
        pages += 1
        html = res.content.decode()
        forms = FORM_BLOCK.findall(html)
        assert len(forms) == len(FORM_POST.findall(html)), f"{url}: unparsed POST form"
        for form in forms:
            checked_forms += 1
            assert 'name="csrfmiddlewaretoken"' in form, f"{url}: a POST form without a CSRF token"
    assert pages >= 3 and checked_forms >= 3, (pages, checked_forms)


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy_without_inline_scripts(client, ports):
    res = client.get("/")
    csp = res["Content-Security-Policy"]
    directives = dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in csp.split(";") if part.strip()
    )
    assert directives["default-src"] == "'self'"
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-inline'" not in directives.get("style-src", "")
    assert directives["frame-ancestors"] == "'none'"


@pytest.mark.django_db
def test_pages_are_not_framable_and_not_sniffable(client, ports):
    res = client.get(LOGIN)
    assert res["X-Frame-Options"] == "DENY"
    assert res["X-Content-Type-Options"] == "nosniff"


def _production_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        GARITA_PRODUCTION="1",
        GARITA_SECRET_KEY=secrets.token_urlsafe(50),
        GARITA_ALLOWED_HOSTS="garita.example.org",
        DJANGO_SETTINGS_MODULE="garita.config.settings",
    )
    # Artefacts of the test process (Playwright fixtures set the first) are not production.
    for name in ("GARITA_DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL"):
        env.pop(name, None)
    env.update(extra)
    return env


def _run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120)


def test_check_deploy_is_clean_with_production_settings():
    code = ("import sys; from garita.cli import main; "
            "main(['check', '--deploy', '--fail-level', 'WARNING'])")
    proc = _run_python(code, _production_env())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "WARNING" not in proc.stderr and "ERROR" not in proc.stderr, proc.stderr
    assert "no issues" in proc.stdout


def test_production_settings_use_secure_cookies_hsts_and_https():
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k) for k in ['DEBUG', 'SESSION_COOKIE_SECURE', "
        "'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', 'SECURE_SSL_REDIRECT', "
        "'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS']}))"
    )
    proc = _run_python(code, _production_env())
    assert proc.returncode == 0, proc.stderr
    import json

    values = json.loads(proc.stdout.strip().splitlines()[-1])
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SESSION_COOKIE_HTTPONLY"] and values["SECURE_SSL_REDIRECT"]
    assert values["SECURE_HSTS_SECONDS"] >= 31536000 and values["SECURE_HSTS_INCLUDE_SUBDOMAINS"]


def test_production_refuses_to_start_without_a_secret_key():
    env = _production_env()
    env.pop("GARITA_SECRET_KEY")
    proc = _run_python("import django; django.setup()", env)
    assert proc.returncode != 0
    assert "GARITA_SECRET_KEY" in proc.stderr
