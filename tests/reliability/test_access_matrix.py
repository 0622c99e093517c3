"""Role x endpoint matrix: every role (and anonymous) against every page and API operation.

Endpoints are discovered, never listed here; access_policy.POLICY says who may reach each.
A new endpoint fails `test_every_endpoint_is_classified` until it has a rule.
"""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlparse

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from garita.accounts.roles import Role
from garita.core.errors import NotFound
from tests.reliability import access_policy as policy
from tests.reliability.endpoints import (
    Operation,
    Page,
    api_operations,
    minimal_example,
    openapi_schema,
    pages_outside_api,
)

pytestmark = pytest.mark.db_backend

SCHEMA = openapi_schema()
OPERATIONS = api_operations(SCHEMA)
PAGES = pages_outside_api(SCHEMA)
WHO = ["anonymous", *(r.value for r in Role)]


def _page_id(p: Page) -> str:
    return p.name or p.path


@pytest.mark.parametrize("endpoint", PAGES, ids=_page_id)
def test_every_page_is_classified(endpoint: Page) -> None:
    rule = policy.rule_for_page(endpoint.name, endpoint.path)
    assert rule is not None, (
        f"{endpoint.name or endpoint.path} ({endpoint.path}) has no rule: add a line to "
        "POLICY in tests/reliability/access_policy.py saying who may reach it"
    )


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda o: o.key)
def test_every_api_operation_is_classified(op: Operation) -> None:
    rule = policy.rule_for_operation(op.method, op.path)
    assert rule is not None, (
        f"{op.key} has no rule: add api(\"{op.key}\", ...) to POLICY in "
        "tests/reliability/access_policy.py"
    )
    if rule.allowed != policy.PUBLIC:
        assert not op.public, f"{op.key} is restricted by the table but has no auth in the API"


def test_the_discovery_finds_the_endpoints_that_exist_today() -> None:
    names = {p.name for p in PAGES}
    assert {"core:home", "accounts:login", "admin:index", "api-v1:openapi-json"} <= names
    assert "GET /api/v1/health" in {o.key for o in OPERATIONS}


# --- the probing -------------------------------------------------------------------------


@pytest.fixture
def world(db, settings, make_user, ports):
    """One user per role; a sample case the representative and the shelter may see."""
    from garita.accounts.models import ApiToken
    from garita.intake.models import Appearance, Consent, Shelter
    from tests.factories import make_case

    # Argon2 is slow on purpose; this test is about access, not hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Webhooks are public to every role; their Twilio signature is tested by the hotline.
    settings.GARITA_HOTLINE_VALIDATE_SIGNATURE = False
    shelter = Shelter.objects.create(name="Casa de la probe")
    people = {r.value: make_user(r) for r in Role}
    people[Role.SHELTER_STAFF.value].shelter = shelter
    people[Role.SHELTER_STAFF.value].save(update_fields=["shelter"])
    case = make_case()
    now = timezone.now()
    Appearance.objects.create(case=case, representative=people[Role.LEGAL_REPRESENTATIVE.value],
                              filed_at=now - dt.timedelta(days=1))
    Consent.objects.create(case=case, grantee_type=Consent.Grantee.SHELTER, shelter=shelter,
                           given_at=now - dt.timedelta(days=1))
    tokens = {role: ApiToken.issue(user, "matrix")[1] for role, user in people.items()}
    from django.contrib import admin

    samples = policy.Samples(values={
        "port_slug": "san-ysidro", "case": case,
        "admin_app_label": next(iter(m._meta.app_label for m in admin.site._registry), "auth"),
    })
    return {"users": people, "tokens": tokens, "samples": samples}


def _fill(path: str, params: tuple[str, ...], samples: policy.Samples) -> str:
    for name in params:
        filler = policy.SAMPLE_PARAMS.get(name)
        assert filler is not None, (
            f"path parameter {{{name}}} in {path} has no sample: add it to SAMPLE_PARAMS in "
            "tests/reliability/access_policy.py"
        )
        path = path.replace("{" + name + "}", str(filler(samples)))
    return path


LOGIN_PATHS = {"/accounts/login/", "/admin/login/"}


def _verdict(res) -> str:
    code = res.status_code
    if code >= 500:
        return f"server error {code}"
    if code == 405:
        return "method not allowed (fix the rule's methods)"
    if code in (401, 403):
        return "denied"
    if code == 404:
        return "not found"
    if 300 <= code < 400:
        location = urlparse(res["Location"])
        if location.path in LOGIN_PATHS and "next=" in location.query:
            return "denied"
    return "allowed"


def _client(world, who: str, *, api_call: bool, fresh: bool = False) -> Client:
    """One client per role, reused; `fresh` for requests that may end the session."""
    cache = world.setdefault("clients", {})
    key = (who, api_call)
    if not fresh and key in cache:
        return cache[key]
    client = Client()
    if who != "anonymous":
        if api_call:
            client = Client(HTTP_AUTHORIZATION=f"Bearer {world['tokens'][who]}")
        else:
            client.force_login(world["users"][who])
    if not fresh:
        cache[key] = client
    return client


def _judge(rule: policy.Rule, who: str, verdict: str, what: str) -> str | None:
    expected_allowed = who in rule.allowed
    if expected_allowed:
        ok = verdict == "allowed" or (verdict == "not found" and rule.allow_404)
    else:
        ok = verdict in ("denied", "not found")
    if ok:
        return None
    want = "allowed" if expected_allowed else "denied"
    return f"{what} as {who}: expected {want}, got {verdict}"


def test_every_role_meets_the_access_the_table_gives_it_on_every_page(world) -> None:
    problems: list[str] = []
    probed = 0
    for endpoint in PAGES:
        rule = policy.rule_for_page(endpoint.name, endpoint.path)
        if rule is None or not rule.probe:
            continue  # unclassified endpoints fail test_every_page_is_classified
        try:
            url = _fill(endpoint.path, endpoint.params, world["samples"])
        except AssertionError as exc:
            problems.append(str(exc))
            continue
        for method in rule.methods:
            for who in WHO:
                client = _client(world, who, api_call=False, fresh=method != "GET")
                res = client.generic(method, url)
                probed += 1
                problem = _judge(rule, who, _verdict(res), f"{method} {url} [{_page_id(endpoint)}]")
                if problem:
                    problems.append(problem)
    assert probed >= len(WHO) * 5
    assert not problems, "\n".join(problems)


def test_every_role_meets_the_access_the_table_gives_it_on_every_api_operation(world) -> None:
    components = SCHEMA.get("components", {}).get("schemas", {})
    problems: list[str] = []
    for op in OPERATIONS:
        rule = policy.rule_for_operation(op.method, op.path)
        if rule is None or not rule.probe:
            continue
        try:
            url = _fill(op.path, op.params, world["samples"])
        except AssertionError as exc:
            problems.append(str(exc))
            continue
        query = {k: minimal_example(v, components) for k, v in op.query.items()}
        body = rule.body if rule.body is not None else minimal_example(op.body_schema, components)
        for who in WHO:
            client = _client(world, who, api_call=True)
            kwargs: dict = {"QUERY_STRING": "&".join(f"{k}={v}" for k, v in query.items())}
            if op.method in ("GET", "DELETE"):
                res = client.generic(op.method, url, **kwargs)
            else:
                res = client.generic(op.method, url, json.dumps(body),
                                     content_type="application/json", **kwargs)
            verdict = _verdict(res)
            if verdict == "allowed" and res.status_code in (400, 422) and who not in rule.allowed:
                verdict = f"refused with {res.status_code} before the permission check " \
                          f"(give the rule a valid body=)"
            problem = _judge(rule, who, verdict, op.key)
            if problem:
                problems.append(problem)
    assert not problems, "\n".join(problems)


# --- object-level scoping: need-to-know beyond the role ----------------------------------


@pytest.fixture
def scoping(db, settings, make_user):
    from garita.intake.models import Appearance, Consent, Shelter
    from tests.factories import make_case

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    now = timezone.now()
    shelter, other_shelter = (Shelter.objects.create(name=n) for n in ("Casa A", "Casa B"))
    rep, other_rep = make_user(Role.LEGAL_REPRESENTATIVE), make_user(Role.LEGAL_REPRESENTATIVE)
    staff = make_user(Role.SHELTER_STAFF, shelter=shelter)
    other_staff = make_user(Role.SHELTER_STAFF, shelter=other_shelter)
    unassigned_staff = make_user(Role.SHELTER_STAFF)
    represented = make_case()
    Appearance.objects.create(case=represented, representative=rep, filed_at=now)
    withdrawn = make_case()
    Appearance.objects.create(case=withdrawn, representative=rep, filed_at=now,
                              withdrawn_at=now + dt.timedelta(minutes=1))
    consented = make_case()
    Consent.objects.create(case=consented, grantee_type="shelter", shelter=shelter, given_at=now)
    revoked = make_case()
    Consent.objects.create(case=revoked, grantee_type="shelter", shelter=shelter, given_at=now,
                           revoked_at=now + dt.timedelta(minutes=1))
    no_consent = make_case()
    return {
        "rep": rep, "other_rep": other_rep, "staff": staff, "other_staff": other_staff,
        "unassigned_staff": unassigned_staff, "represented": represented,
        "withdrawn": withdrawn, "consented": consented, "revoked": revoked,
        "no_consent": no_consent,
    }


HIDDEN = [
    ("other_rep", "represented", "a representative asks for another representative's case"),
    ("rep", "withdrawn", "a representative whose appearance was withdrawn"),
    ("rep", "no_consent", "a representative asks for a case with no appearance"),
    ("staff", "no_consent", "shelter staff ask for a resident who did not consent"),
    ("staff", "revoked", "shelter staff ask for a resident who revoked consent"),
    ("other_staff", "consented", "staff of another shelter ask for a consenting resident"),
    ("unassigned_staff", "consented", "shelter staff not attached to any shelter"),
]
VISIBLE = [("rep", "represented"), ("staff", "consented")]


@pytest.mark.parametrize("who,case_key,story", HIDDEN, ids=[h[2] for h in HIDDEN])
@pytest.mark.parametrize("lookup", ["case_id", "a_number"])
def test_scoped_roles_get_not_found_for_cases_outside_their_scope(scoping, who, case_key,
                                                                  story, lookup) -> None:
    from garita.intake.selectors import case_get_for

    case = scoping[case_key]
    kwargs = {"case_id": case.pk} if lookup == "case_id" else {"a_number": case.a_number}
    with pytest.raises(NotFound) as err:
        case_get_for(scoping[who], **kwargs)
    assert err.value.code == "case.not_found"
    assert err.value.status == 404


@pytest.mark.parametrize("who,case_key", VISIBLE)
def test_scoped_roles_see_the_cases_in_their_scope(scoping, who, case_key) -> None:
    from garita.intake.selectors import case_get_for

    case = scoping[case_key]
    assert case_get_for(scoping[who], case_id=case.pk) == case
    assert case_get_for(scoping[who], a_number=case.a_number) == case


CASE_OPERATIONS = [o for o in OPERATIONS if policy.CASE_PARAMS & set(o.params)]


@pytest.mark.parametrize(
    "op", CASE_OPERATIONS or [None], ids=lambda o: o.key if o else "no case endpoints yet"
)
@pytest.mark.parametrize("who,case_key,story", HIDDEN, ids=[h[2] for h in HIDDEN])
def test_case_api_operations_answer_404_outside_the_callers_scope(scoping, api_client_for, op,
                                                                  who, case_key, story) -> None:
    if op is None:
        pytest.skip("no API operation takes a case parameter yet")
    rule = policy.rule_for_operation(op.method, op.path)
    if rule is None or who_role(scoping[who]) not in rule.allowed:
        pytest.skip("the role is denied outright; the matrix test covers that")
    if not rule.scoped:
        pytest.skip("the table marks this operation as acting outside the caller's scope")
    case = scoping[case_key]
    url = op.path
    for name in op.params:
        value = case.a_number if name == "a_number" else case.pk
        url = url.replace("{" + name + "}", str(value))
    client = api_client_for(scoping[who])
    components = SCHEMA.get("components", {}).get("schemas", {})
    body = rule.body if rule.body is not None else minimal_example(op.body_schema, components)
    res = client.generic(op.method, url, json.dumps(body) if body is not None else "",
                         content_type="application/json")
    assert res.status_code == 404, f"{story}: {op.key} answered {res.status_code}"


@pytest.mark.parametrize("name", policy.CASE_PAGES)
@pytest.mark.parametrize("who,case_key,story", HIDDEN, ids=[h[2] for h in HIDDEN])
def test_case_pages_answer_404_outside_the_callers_scope(scoping, client, name, who, case_key,
                                                         story) -> None:
    case = scoping[case_key]
    url = reverse(name, kwargs={"a_number": case.a_number})
    rule = policy.rule_for_page(name, url)
    assert rule is not None
    client.force_login(scoping[who])
    res = client.get(url)
    if who_role(scoping[who]) in rule.allowed:
        assert res.status_code == 404, f"{story}: {url} answered {res.status_code}"
        assert case.person.surnames not in res.content.decode()
    else:
        assert res.status_code in (403, 404), f"{story}: {url} answered {res.status_code}"


@pytest.mark.parametrize("name", policy.CASE_PAGES)
@pytest.mark.parametrize("who,case_key", VISIBLE)
def test_case_pages_open_for_the_cases_in_scope(scoping, client, name, who, case_key) -> None:
    url = reverse(name, kwargs={"a_number": scoping[case_key].a_number})
    rule = policy.rule_for_page(name, url)
    if who_role(scoping[who]) not in rule.allowed:
        pytest.skip("the role may not open this page at all")
    client.force_login(scoping[who])
    assert client.get(url).status_code == 200


def who_role(user) -> str:
    return user.role


def test_login_page_is_the_denial_redirect_target() -> None:
    # The verdicts above rely on these being the log-in pages Django redirects to.
    assert reverse("accounts:login") in LOGIN_PATHS
    assert reverse("admin:login") in LOGIN_PATHS
