"""API plumbing: health, OpenAPI schema, auth required, oversized bodies refused with 413."""

import pytest

pytestmark = pytest.mark.django_db


def test_openapi_schema_is_served(client):
    res = client.get("/api/v1/openapi.json")
    assert res.status_code == 200
    assert res.json()["info"]["title"] == "Garita API"


def test_health_answers_ok(client):
    assert client.get("/api/v1/health").json()["status"] == "ok"


def test_a_five_megabyte_body_is_refused_with_413_and_a_code(client):
    res = client.post("/api/v1/intake/encounters", data=b"x" * (5 * 1024 * 1024),
                      content_type="application/json")
    assert res.status_code == 413
    assert res.json()["code"] == "request.too_large"


@pytest.mark.parametrize("how", ["query", "form", "json"])
def test_a_nul_character_is_refused_before_any_view(client, users, how):
    """PostgreSQL text cannot hold U+0000: found by schemathesis as a 500 on the case search."""
    from garita.intake.models import Encounter

    client.force_login(users["port_officer"])
    if how == "query":
        res = client.get("/api/v1/intake/cases?q=ab%00cd")
    elif how == "form":
        res = client.post("/status", "a_number=A2345%0067890&pin=123456",
                          content_type="application/x-www-form-urlencoded")
    else:
        res = client.post("/api/v1/intake/encounters", data='{"port": "san-ysidro\\u0000"}',
                          content_type="application/json")
    assert res.status_code == 400
    assert res.json()["code"] == "request.nul_byte"
    assert not Encounter.objects.exists()
    # The same requests without the NUL go through to their views.
    assert client.get("/api/v1/intake/cases?q=abcd").status_code == 200


def test_home_page_renders_in_spanish(client, ports):
    res = client.get("/", HTTP_ACCEPT_LANGUAGE="es")
    assert res.status_code == 200
    assert "San Ysidro" in res.content.decode()
