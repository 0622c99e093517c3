"""Read events written without the chain lock (record_unsealed), sealed into the chain later.

`verify_chain` checks the unsealed tail by its HMAC; `seal()` refuses an edited event;
sealed events are chained like any other and tampering with them is detected.
"""

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from garita.audit import services as audit
from garita.audit.chain import event_hash
from garita.audit.models import AuditEvent, UnsealedEvent
from garita.audit.selectors import verify_chain

pytestmark = pytest.mark.django_db


def _lookups(n, start=0):
    for i in range(start, start + n):
        audit.record_unsealed(actor="hotline:web", action="hotline.lookup",
                              object_type="intake.case", object_id=i,
                              new={"channel": "web", "note": "Núñez"})


def test_an_unsealed_event_is_written_at_once_and_verified_by_its_mac():
    audit.record(actor="test", action="thing.update", object_type="x", object_id=1)
    _lookups(3)
    assert UnsealedEvent.objects.count() == 3
    assert AuditEvent.objects.count() == 1  # the chain is untouched until sealing
    report = verify_chain()
    assert report.ok and report.checked == 1 and report.unsealed == 3
    assert report.oldest_unsealed is not None
    from io import StringIO

    out = StringIO()
    call_command("audit", "verify", stdout=out)
    assert "3 unsealed events OK" in out.getvalue()


def test_seal_chains_them_in_order_after_the_existing_events():
    audit.record(actor="test", action="thing.update", object_type="x", object_id=1)
    _lookups(4)
    audit.record(actor="test", action="thing.update", object_type="x", object_id=2)
    assert audit.seal() == 4
    assert not UnsealedEvent.objects.exists()
    events = list(AuditEvent.objects.order_by("seq"))
    assert [e.seq for e in events] == [1, 2, 3, 4, 5, 6]
    assert [e.object_id for e in events[2:]] == ["0", "1", "2", "3"]
    assert all(e.action == "hotline.lookup" and e.new["note"] == "Núñez" for e in events[2:])
    for prev, ev in zip(events, events[1:], strict=False):
        assert ev.prev_hash == prev.hash
    report = verify_chain()
    assert report.ok and report.checked == 6 and report.unsealed == 0
    assert audit.seal() == 0  # nothing left: sealing again changes nothing
    assert AuditEvent.objects.count() == 6


def test_sealing_in_several_batches_keeps_one_chain():
    _lookups(7)
    assert audit.seal(batch=3) == 7
    assert verify_chain().ok and AuditEvent.objects.count() == 7


def test_an_edited_unsealed_event_fails_verify_and_is_never_sealed():
    _lookups(3)
    victim = UnsealedEvent.objects.order_by("id")[1]
    UnsealedEvent.objects.filter(pk=victim.pk).update(object_id="999")
    report = verify_chain()
    assert not report.ok and "unsealed" in report.problem and str(victim.pk) in report.problem
    with pytest.raises(CommandError, match="unsealed tail"):
        call_command("audit", "verify")
    with pytest.raises(audit.UnsealedEventChanged):
        audit.seal()
    # Nothing half-sealed: the batch rolled back as a whole.
    assert AuditEvent.objects.count() == 0 and UnsealedEvent.objects.count() == 3
    with pytest.raises(CommandError, match="changed"):
        call_command("audit", "seal")


def test_an_unsealed_event_with_a_forged_mac_fails():
    _lookups(1)
    ev = UnsealedEvent.objects.get()
    # Someone with database access but without the server secret recomputes a plain hash.
    UnsealedEvent.objects.filter(pk=ev.pk).update(actor_label="someone else",
                                                  mac=event_hash({"x": 1}, "0" * 64))
    assert not verify_chain().ok


def test_a_sealed_lookup_edited_or_deleted_afterwards_is_detected():
    _lookups(3)
    audit.seal()
    AuditEvent.objects.filter(seq=2).update(new={"channel": "sms"})
    assert verify_chain().first_bad_seq == 2
    AuditEvent.objects.filter(seq=2).delete()
    assert not verify_chain().ok


def test_the_old_secret_in_fallbacks_still_verifies_and_seals(settings):
    _lookups(2)
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    assert not verify_chain().ok  # rotated without keeping the old key: reported
    settings.SECRET_KEY_FALLBACKS = [old]
    assert verify_chain().ok
    assert audit.seal() == 2 and verify_chain().ok


def test_an_unsealed_event_in_a_rolled_back_transaction_is_not_kept():
    with pytest.raises(RuntimeError), transaction.atomic():
        _lookups(1)
        raise RuntimeError("the service failed after writing its event")
    assert not UnsealedEvent.objects.exists()


def test_audit_seal_command_reports_how_many():
    from io import StringIO

    _lookups(2)
    out = StringIO()
    call_command("audit", "seal", stdout=out)
    assert "sealed 2 events" in out.getvalue()
    assert verify_chain().ok and AuditEvent.objects.count() == 2


def test_the_worker_pass_seals(settings):
    from garita.notifications.management.commands.worker import seal_audit

    _lookups(2)
    assert seal_audit() == 2 and not UnsealedEvent.objects.exists()


def test_events_sealed_while_verify_walks_are_not_reported_as_tampering():
    audit.record(actor="test", action="thing.update", object_type="x", object_id=1)
    audit.record(actor="test", action="thing.update", object_type="x", object_id=2)
    _lookups(3)
    sealed = []

    def seal_once(_n):  # the worker seals in the middle of a nightly verify
        if not sealed:
            sealed.append(audit.seal())

    report = verify_chain(progress=seal_once, batch=1)
    assert sealed == [3]
    assert report.ok and report.checked == 5 and report.unsealed == 0


def test_a_forged_event_appended_after_the_head_is_still_reported():
    _lookups(2)
    audit.seal()
    last = AuditEvent.objects.order_by("-seq").first()
    # A well-formed event (correct seq, link and hash) added without moving the head.
    fields = audit.hashed_fields(seq=last.seq + 1, at=last.at, actor_id=None, actor_label="x",
                                 action="forged", object_type="", object_id="", old=None,
                                 new=None, request_id="")
    AuditEvent.objects.create(seq=last.seq + 1, at=last.at, actor_label="x", action="forged",
                              prev_hash=last.hash, hash=event_hash(fields, last.hash))
    report = verify_chain()
    assert not report.ok and report.problem == "events missing at the end of the chain"
