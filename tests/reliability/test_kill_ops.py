"""Faults, short form: SIGKILL of gunicorn and `garita worker` in the middle of real
operations — a mass reschedule and a waitlist call through the HTTP API, and a batch of
report-time reminders being sent by the worker — on the test run's database vendor.

After the restart: the audit chain and the waitlist's transparency log verify, each
operation happened wholly or not at all, and the file provider's journal matches the
outbox (no reminder lost, none delivered twice; the provider runs non-idempotent, like
Twilio, so a resend would show). The long form is bench/faults/kill_ops.py.
"""

from __future__ import annotations

import random

import pytest
from bench.faults.harness import Stack, make_env
from bench.faults.kill_ops import DRILL_ENV, Drill

from tests.reliability.test_faults import _database_url, _faults_db_name, _pg_admin

pytestmark = [pytest.mark.db_backend, pytest.mark.slow]


@pytest.fixture
def drill(tmp_path):
    from django.db import connection

    var_dir = tmp_path / "var"
    var_dir.mkdir()
    stack = Stack(env=make_env(_database_url(tmp_path), var_dir, **DRILL_ENV), var_dir=var_dir)
    migrated = stack.garita("migrate", "--noinput", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr
    d = Drill(stack, random.Random(7))
    d.setup(cases=120, groups=120)
    d.start()
    yield d
    stack.stop_all()
    if connection.vendor == "postgresql":
        _pg_admin(f'DROP DATABASE IF EXISTS "{_faults_db_name()}" WITH (FORCE)')


def test_sigkill_mid_operation_leaves_each_operation_whole_or_undone(drill):
    rounds = []
    for scenario in ("reschedule", "call"):
        calibration = getattr(drill, scenario)()  # left alone: times the operation
        assert calibration.ok, calibration.line()
        assert calibration.outcome == "whole", calibration.line()
        killed = getattr(drill, scenario)()
        rounds.append(killed)
        assert killed.ok, killed.line()
        assert killed.outcome in ("none", "whole"), killed.line()

    reminders = drill.reminders(30)
    assert reminders.ok, reminders.line()
    facts = reminders.facts
    assert 0 < facts["delivered_before_kill"] < facts["reminders"], (
        "the kill did not land in the middle of the batch: " + reminders.line())
    assert facts["deliveries"] == facts["reminders"], reminders.line()
