"""No API write can be left without Idempotency-Key: the hooks sit on the NinjaAPI itself,
and these walk every operation there is today (a new endpoint is walked too).

Every authenticated write refuses a malformed key before its handler runs (the proof that
the hooks are on it), documents the header in the OpenAPI schema, and every write without
authentication is one of the listed public ones, which are safe to repeat as they are.
"""

from __future__ import annotations

import json

import pytest

from garita.accounts.roles import Role
from garita.idempotency import domain
from garita.idempotency.hooks import PUBLIC_WRITES
from tests.reliability import access_policy as policy
from tests.reliability.endpoints import api_operations, minimal_example, openapi_schema

SCHEMA = openapi_schema()
WRITES = [op for op in api_operations(SCHEMA) if op.method in domain.WRITE_METHODS]


def test_there_are_writes_to_walk():
    assert len(WRITES) >= 30, [op.key for op in WRITES]


def test_the_writes_without_authentication_are_exactly_the_listed_public_ones():
    public = {op.key for op in WRITES if op.public}
    assert public == set(PUBLIC_WRITES), (
        "a write without authentication has no principal to scope an Idempotency-Key to: "
        "make it authenticated, or list it in garita.idempotency.hooks.PUBLIC_WRITES with "
        "the reason it is safe to repeat")


def test_every_operation_of_the_api_carries_the_hooks():
    from garita.config.api import api

    bare = [f"{op.methods} {op.path}"
            for router in api._get_bound_routers()
            for view in router.path_operations.values()
            for op in view.operations
            if not (getattr(op.run, "_garita_idempotency", False)
                    and getattr(op.view_func, "_garita_idempotency", False))]
    assert not bare


def test_the_schema_documents_the_header_on_every_authenticated_write_only():
    for op in api_operations(SCHEMA):
        params = SCHEMA["paths"][op.path][op.method.lower()].get("parameters", [])
        documented = any(p["name"] == "Idempotency-Key" and p["in"] == "header"
                         and not p["required"] for p in params)
        assert documented == (op.method in domain.WRITE_METHODS and not op.public), op.key


@pytest.mark.django_db
def test_every_authenticated_write_refuses_a_malformed_key_before_its_handler_runs(
        make_user, api_client_for, ports, settings, tmp_path):
    from garita.audit.models import AuditEvent
    from tests.factories import make_case

    settings.GARITA_KEY_DIR = tmp_path / "keys"
    samples = policy.Samples(values={"port_slug": "san-ysidro", "case": make_case()})
    client = api_client_for(make_user(Role.ADMINISTRATOR))
    components = SCHEMA.get("components", {}).get("schemas", {})
    events = AuditEvent.objects.count()
    problems = []
    for op in WRITES:
        if op.public:
            continue
        url = op.path
        for name in op.params:
            url = url.replace("{" + name + "}", str(policy.SAMPLE_PARAMS[name](samples)))
        query = "&".join(f"{k}={minimal_example(v, components)}" for k, v in op.query.items())
        body = minimal_example(op.body_schema, components)
        res = client.generic(op.method, url, json.dumps(body) if body is not None else "",
                             content_type="application/json", QUERY_STRING=query,
                             HTTP_IDEMPOTENCY_KEY="bad\tkey")
        code = res.json().get("code") if res.get("Content-Type", "").startswith(
            "application/json") else None
        if (res.status_code, code) != (400, "api.idempotency_key_invalid"):
            problems.append(f"{op.key}: {res.status_code} {code}")
    assert not problems, "\n".join(problems)
    assert AuditEvent.objects.count() == events  # no handler ran
