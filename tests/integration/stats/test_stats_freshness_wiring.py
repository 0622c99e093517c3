"""Writes that change what the statistics count bump the statistics version."""

from __future__ import annotations

import pytest

from garita.intake.models import CaseStatus
from garita.intake.services import case_transition
from garita.stats.models import StatsState
from tests.factories import make_case

pytestmark = pytest.mark.django_db


def _version() -> int:
    state = StatsState.objects.filter(pk=1).first()
    return state.version if state else 0


def test_a_case_status_change_marks_the_statistics_stale():
    case = make_case(status=CaseStatus.IN_PROCEEDINGS)
    before = _version()
    case_transition(actor=None, case=case, to=CaseStatus.TERMINATED, reason="test")
    assert _version() == before + 1
