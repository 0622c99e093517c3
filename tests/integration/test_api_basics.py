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


def test_home_page_renders_in_spanish(client, ports):
    res = client.get("/", HTTP_ACCEPT_LANGUAGE="es")
    assert res.status_code == 200
    assert "San Ysidro" in res.content.decode()
