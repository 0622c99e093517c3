"""Rule sets in the Django admin: an edit saves a new version; old versions never change."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from garita.audit.models import AuditEvent
from garita.screening.domain import DEFAULT_RULE_SET
from garita.screening.models import RuleSet
from garita.screening.services import rule_set_ensure_current

pytestmark = pytest.mark.django_db


def admin_client(users) -> Client:
    c = Client()
    c.force_login(users["administrator"])
    return c


def test_editing_a_rule_set_in_the_admin_creates_a_new_version(users):
    v1 = rule_set_ensure_current()
    definition = DEFAULT_RULE_SET.definition()
    definition["vulnerability_exclusions"] = []
    res = admin_client(users).post(
        f"/admin/screening/ruleset/{v1.pk}/change/",
        {"definition": json.dumps(definition), "note": "Pregnancy no longer excluded"},
    )
    assert res.status_code == 302
    assert list(RuleSet.objects.order_by("version").values_list("version", flat=True)) == [1, 2]
    assert RuleSet.objects.get(version=1).definition == DEFAULT_RULE_SET.definition()
    v2 = RuleSet.objects.get(version=2)
    assert v2.definition["vulnerability_exclusions"] == []
    assert v2.created_by == users["administrator"]
    assert AuditEvent.objects.filter(action="ruleset.create").count() == 2


def test_an_invalid_rule_set_is_refused_in_the_admin_beside_the_field(users):
    v1 = rule_set_ensure_current()
    res = admin_client(users).post(
        f"/admin/screening/ruleset/{v1.pk}/change/",
        {"definition": json.dumps({"windows": [], "family_policy": "split"}), "note": ""},
    )
    assert res.status_code == 200
    assert "family_policy" in res.content.decode()
    assert RuleSet.objects.count() == 1


def test_viewing_decisions_in_the_admin_is_audited(users):
    res = admin_client(users).get("/admin/screening/screeningdecision/")
    assert res.status_code == 200
    assert AuditEvent.objects.filter(action="screeningdecision.list.read").exists()
