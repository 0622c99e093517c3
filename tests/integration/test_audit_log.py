"""The audit log detects edited, deleted and reordered events (`garita audit verify`)."""

import pytest
from django.core.management import CommandError, call_command

from garita.audit import services as audit
from garita.audit.models import AuditEvent
from garita.audit.selectors import verify_chain

pytestmark = pytest.mark.django_db


def _write(n):
    for i in range(n):
        audit.record(actor="test", action="thing.update", object_type="x", object_id=i,
                     old={"v": i}, new={"v": i + 1, "name": "María José Núñez"})


def test_an_untouched_chain_verifies():
    _write(5)
    report = verify_chain()
    assert report.ok and report.checked == 5
    call_command("audit", "verify")


def test_an_edited_event_is_reported_by_sequence_number():
    _write(5)
    AuditEvent.objects.filter(seq=3).update(new={"v": 999})
    report = verify_chain()
    assert not report.ok and report.first_bad_seq == 3
    with pytest.raises(CommandError, match="#3"):
        call_command("audit", "verify")


def test_a_deleted_event_in_the_middle_is_reported():
    _write(5)
    AuditEvent.objects.filter(seq=2).delete()
    report = verify_chain()
    assert not report.ok and report.first_bad_seq == 2


def test_a_deleted_last_event_is_reported():
    _write(5)
    AuditEvent.objects.filter(seq=5).delete()
    report = verify_chain()
    assert not report.ok and report.first_bad_seq == 5


def test_reordered_events_are_reported():
    _write(4)
    a, b = AuditEvent.objects.get(seq=2), AuditEvent.objects.get(seq=3)
    AuditEvent.objects.filter(pk=a.pk).update(seq=-1)
    AuditEvent.objects.filter(pk=b.pk).update(seq=2)
    AuditEvent.objects.filter(pk=a.pk).update(seq=3)
    assert not verify_chain().ok


def test_events_carry_actor_and_request_id(users):
    officer = users["port_officer"]
    ev = audit.record(actor=officer, action="case.read", object_type="intake.case", object_id=7)
    assert ev.actor_id == officer.pk and ev.actor_label == officer.username
    assert len(ev.request_id) == 32
