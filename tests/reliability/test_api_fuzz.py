"""schemathesis against /api/v1/openapi.json: no server error, every response fits the schema.

Operations are read from the live schema, so endpoints added later are fuzzed too; each
operation gets a bounded number of examples to keep the suite short.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from garita.config.wsgi import application

pytestmark = pytest.mark.db_backend

# Served by the app itself, exactly as clients fetch it.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture
def in_process_requests():
    """Keep the test's database connection across WSGI calls, as Django's test client does:
    the request signals would otherwise close it inside the test's transaction."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def admin_headers(db, settings, make_user, in_process_requests) -> dict[str, str]:
    from garita.accounts.models import ApiToken
    from garita.accounts.roles import Role

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    _, token = ApiToken.issue(make_user(Role.ADMINISTRATOR), "schemathesis")
    return {"Authorization": f"Bearer {token}"}


# Operations listed at collection, one test each. Not schemathesis' own `parametrize`: under
# pytest-xdist with other modules collected it fell back to one plain test that fuzzed
# nothing (found 29 Nov 2026: 0.27 s for "all" operations). Explicit parametrization runs
# the same cases whatever the runner.
OPERATIONS = {op.label: op for op in (r.ok() for r in schema.get_all_operations())}


def test_the_schema_lists_operations() -> None:
    # Every route of the API is fuzzed: a collapse to a handful would fail here.
    assert len(OPERATIONS) >= 40, sorted(OPERATIONS)


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_api_never_errors_and_answers_as_its_schema_says(label, admin_headers) -> None:
    operation = OPERATIONS[label]
    calls = []

    @given(case=operation.as_strategy())
    @settings(max_examples=25, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.filter_too_much, HealthCheck.data_too_large])
    def fuzz(case) -> None:
        calls.append(case)
        headers = case.headers or {}
        for name in [h for h in headers if h.lower() == "idempotency-key"]:
            # A generated key ("0", say) repeats across examples with other bodies and would
            # get 422 api.idempotency_key_reused instead of reaching the handler: keep its
            # (possibly invalid) characters, make it unique per example.
            headers[name] = f"{headers[name]}{len(calls)}"
        case.call_and_validate(headers=admin_headers, checks=CHECKS)

    fuzz()
    assert calls, f"no request was generated for {label}"
