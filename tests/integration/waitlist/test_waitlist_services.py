"""Waitlist services: registration, capacity, calls, presence, removal, the draw, PINs."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import pytest
from django.utils import timezone

from garita.audit.models import AuditEvent
from garita.core.errors import DomainError, PermissionDenied
from garita.waitlist import domain, selectors, services
from garita.waitlist import log as wlog
from garita.waitlist.models import Group, GroupStatus, LogEvent, LogTile
from garita.waitlist.services import MemberIn

pytestmark = pytest.mark.django_db


def _log_size(port: str = "san-ysidro") -> int:
    return services.port_waitlist(port).log_size


def test_registration_gives_the_next_number_and_a_pin_stored_only_as_a_digest(register):
    a, b = register(3), register(1)
    assert (a.group.number, b.group.number) == (1, 2)
    assert len(a.pin) == 6 and a.pin not in a.group.pin_digest
    assert a.group.members.count() == 3
    entry = LogEvent.objects.get(number=1, event="registered")
    assert entry.size == 3 and entry.commitment == a.group.commitment
    assert "Persona" not in str(wlog.entries(a.group.waitlist, 0, 2))


def test_the_receipt_proves_the_log_commitment_is_this_group(register):
    reg = register(2)
    ident = domain.identity_text([(m.given_names, m.surnames, "")
                                  for m in reg.group.members.order_by("id")])
    assert domain.identity_commitment(bytes.fromhex(reg.receipt), ident) == reg.group.commitment


@pytest.mark.parametrize("size", [0, 31])
def test_group_size_outside_one_to_thirty_is_refused_and_nothing_is_written(register, size):
    with pytest.raises(DomainError) as exc:
        register(size)
    assert exc.value.code == "waitlist.bad_group_size" and exc.value.status == 400
    assert not Group.objects.exists() and not LogEvent.objects.exists()


def test_an_unknown_port_is_a_404(register):
    with pytest.raises(DomainError) as exc:
        register(1, port="nowhere")
    assert exc.value.code == "waitlist.unknown_port" and exc.value.status == 404


def test_the_same_person_twice_is_refused_then_flagged_never_merged(officer, ports):
    m = [MemberIn("Ana", "Pérez Cruz", "GTM", dt.date(1990, 1, 2))]
    services.register_group(actor=officer, port="san-ysidro", members=m)
    with pytest.raises(DomainError) as exc:
        services.register_group(actor=officer, port="san-ysidro", members=m)
    assert exc.value.code == "waitlist.possible_duplicate" and exc.value.status == 409
    assert exc.value.details == {"number": 1}
    assert Group.objects.count() == 1
    second = services.register_group(actor=officer, port="san-ysidro", members=m,
                                      allow_duplicate=True)
    assert second.group.number == 2 and second.group.possible_duplicate_of.number == 1
    assert AuditEvent.objects.filter(action="waitlist.possible_duplicate").count() == 1


def test_a_closed_list_refuses_registrations_and_calls(register, officer):
    register(1)
    services.set_settings(actor=officer, port="san-ysidro", is_open=False)
    for fn in (lambda: register(1),
               lambda: services.call_next(actor=officer, port="san-ysidro", capacity=5)):
        with pytest.raises(DomainError) as exc:
            fn()
        assert exc.value.code == "waitlist.closed" and exc.value.status == 409


def test_negative_capacity_is_refused(officer, ports):
    for fn in (lambda: services.set_capacity(actor=officer, port="san-ysidro", persons=-1),
               lambda: services.call_next(actor=officer, port="san-ysidro", capacity=-3)):
        with pytest.raises(DomainError) as exc:
            fn()
        assert exc.value.code == "waitlist.bad_capacity"
    assert _log_size() == 0


def test_shelter_staff_may_register_but_not_call(register, shelter):
    register(1, actor=shelter)
    with pytest.raises(PermissionDenied):
        services.call_next(actor=shelter, port="san-ysidro", capacity=5)


def test_strict_call_stops_at_a_group_that_does_not_fit_and_records_the_policy(register, officer):
    for s in (3, 5, 1):
        register(s)
    services.set_capacity(actor=officer, port="san-ysidro", persons=6)
    call = services.call_next(actor=officer, port="san-ysidro")
    assert call.policy == "fcfs" and call.persons == 3
    assert list(Group.objects.filter(status="called").values_list("number", flat=True)) == [1]
    # The rest of the day's capacity (3) is still too small for number 2: nobody jumps it.
    assert services.call_next(actor=officer, port="san-ysidro").persons == 0
    services.set_settings(actor=officer, port="san-ysidro", policy="fill")
    call = services.call_next(actor=officer, port="san-ysidro", capacity=3)
    assert call.policy == "fill"
    assert set(call.groups.values_list("number", flat=True)) == {3}


def test_calling_without_todays_capacity_is_refused(register, officer):
    register(1)
    with pytest.raises(DomainError) as exc:
        services.call_next(actor=officer, port="san-ysidro")
    assert exc.value.code == "waitlist.no_capacity"


def test_no_show_goes_to_the_head_once_then_is_removed(register, officer):
    register(2), register(1)
    t0 = timezone.now()
    services.call_next(actor=officer, port="san-ysidro", capacity=2, at=t0)
    with pytest.raises(DomainError) as exc:
        services.mark_no_show(actor=officer, port="san-ysidro", number=1,
                              at=t0 + dt.timedelta(minutes=5))
    assert exc.value.code == "waitlist.grace_not_over"
    g = services.mark_no_show(actor=officer, port="san-ysidro", number=1,
                              at=t0 + dt.timedelta(minutes=21))
    assert g.status == GroupStatus.WAITING and g.priority == 0
    call = services.call_next(actor=officer, port="san-ysidro", capacity=2,
                              at=t0 + dt.timedelta(days=1))
    assert list(call.groups.values_list("number", flat=True)) == [1]
    g = services.mark_no_show(actor=officer, port="san-ysidro", number=1,
                              at=t0 + dt.timedelta(days=1, minutes=30))
    assert g.status == GroupStatus.REMOVED and g.removed_reason == "no_show"


def test_presence_is_recorded_only_within_the_grace_period(register, officer):
    register(1), register(1)
    t0 = timezone.now()
    services.call_next(actor=officer, port="san-ysidro", capacity=2, at=t0)
    services.mark_present(actor=officer, port="san-ysidro", number=1,
                          at=t0 + dt.timedelta(minutes=19))
    with pytest.raises(DomainError) as exc:
        services.mark_present(actor=officer, port="san-ysidro", number=2,
                              at=t0 + dt.timedelta(minutes=21))
    assert exc.value.code == "waitlist.grace_expired"
    with pytest.raises(DomainError) as exc:
        services.mark_present(actor=officer, port="san-ysidro", number=99)
    assert exc.value.code == "waitlist.unknown_number" and exc.value.status == 404


def test_every_removal_needs_a_reason(register, officer):
    register(1)
    for reason, note in (("", ""), ("because", ""), ("other", " ")):
        with pytest.raises(DomainError) as exc:
            services.remove_group(actor=officer, port="san-ysidro", number=1, reason=reason,
                                  note=note)
        assert exc.value.code == "waitlist.reason_required"
    g = services.remove_group(actor=officer, port="san-ysidro", number=1, reason="withdrew")
    assert g.status == GroupStatus.REMOVED
    assert LogEvent.objects.filter(event="removed", detail="withdrew").exists()


def test_a_crash_in_the_middle_of_a_call_leaves_nothing_in_the_database_or_the_log(
        register, officer, monkeypatch):
    for _ in range(5):
        register(1)
    size_before = _log_size()
    tiles_before = list(LogTile.objects.values_list("level", "index", "hashes"))

    def boom(*a, **k):
        raise RuntimeError("power cut")

    monkeypatch.setattr(services.audit, "record", boom)
    with pytest.raises(RuntimeError):
        services.call_next(actor=officer, port="san-ysidro", capacity=3)
    assert not Group.objects.exclude(status="waiting").exists()
    assert _log_size() == size_before == LogEvent.objects.count()
    assert list(LogTile.objects.values_list("level", "index", "hashes")) == tiles_before


def _wrong(number: int, client: str, at=None) -> str:
    with pytest.raises(DomainError) as exc:
        services.check_pin(port="san-ysidro", number=number, pin="000000", client=client, at=at)
    return exc.value.code


def test_wrong_pins_are_throttled_for_the_guessing_client(register):
    reg = register(1)
    for _ in range(services.PIN_MAX_FAILURES):
        assert _wrong(1, "1.2.3.4") == "waitlist.bad_pin"
    with pytest.raises(DomainError) as exc:
        services.check_pin(port="san-ysidro", number=1, pin=reg.pin, client="1.2.3.4")
    assert exc.value.code == "waitlist.pin_throttled" and exc.value.status == 429


def test_a_stranger_guessing_cannot_lock_the_holder_out(register):
    reg = register(1)
    for _ in range(services.PIN_MAX_FAILURES + 3):
        _wrong(1, "6.6.6.6")
    assert services.check_pin(port="san-ysidro", number=1, pin=reg.pin,
                              client="10.0.0.7").number == 1


def test_the_holders_own_typos_are_forgiven_once_the_right_pin_is_given(register):
    reg = register(1)
    for _ in range(services.PIN_MAX_FAILURES - 1):
        _wrong(1, "10.0.0.7")
    services.check_pin(port="san-ysidro", number=1, pin=reg.pin, client="10.0.0.7")
    for _ in range(services.PIN_MAX_FAILURES - 1):
        assert _wrong(1, "10.0.0.7") == "waitlist.bad_pin"


def test_one_client_cannot_sweep_many_numbers(register):
    for _ in range(3):
        register(1)
    for i in range(services.PIN_CLIENT_MAX_FAILURES):
        assert _wrong(100 + i, "6.6.6.6") == "waitlist.bad_pin"
    assert _wrong(2, "6.6.6.6") == "waitlist.pin_throttled"
    assert _wrong(2, "10.0.0.7") == "waitlist.bad_pin"


def test_many_addresses_slow_a_number_down_but_the_holder_gets_in_after_a_bounded_wait(
        register):
    reg = register(1)
    now = timezone.now()
    for i in range(services.PIN_SLOWDOWN_AFTER):
        assert _wrong(1, f"6.6.{i}.1", at=now) == "waitlist.bad_pin"
    # Slowed down: the next PIN is not even checked, the right one included, for a while.
    with pytest.raises(DomainError) as exc:
        services.check_pin(port="san-ysidro", number=1, pin=reg.pin, client="10.0.0.7", at=now)
    assert exc.value.code == "waitlist.pin_slowdown" and exc.value.status == 429
    wait = exc.value.details["retry_after"]
    assert 2 <= wait <= services.PIN_SLOWDOWN_MAX_SECONDS
    # A guesser keeps guessing, one guess per wait: the wait doubles but stays bounded, and
    # refused attempts are not guesses (they do not extend the wait).
    evaluated = 0
    for i in range(30):
        now += dt.timedelta(seconds=wait)
        assert _wrong(1, f"7.7.{i}.1", at=now) == "waitlist.bad_pin"
        evaluated += 1
        assert _wrong(1, f"8.8.{i}.1", at=now) == "waitlist.pin_slowdown"
        with pytest.raises(DomainError) as exc:
            services.check_pin(port="san-ysidro", number=1, pin="000000", client="x", at=now)
        wait = exc.value.details["retry_after"]
        assert wait <= services.PIN_SLOWDOWN_MAX_SECONDS
    assert wait == services.PIN_SLOWDOWN_MAX_SECONDS
    # The holder, from any address, gets in once the (bounded) wait is over.
    now += dt.timedelta(seconds=wait)
    assert services.check_pin(port="san-ysidro", number=1, pin=reg.pin, client="10.0.0.7",
                              at=now).number == 1
    # At most one guess per wait: at the longest wait, 288 a day out of a million PINs.
    assert evaluated == 30


def test_wrong_pins_throttles_and_slowdowns_are_audited(register):
    register(1)
    for i in range(services.PIN_SLOWDOWN_AFTER):
        _wrong(1, "6.6.6.6" if i < services.PIN_MAX_FAILURES else f"7.7.7.{i}")
    actions = list(AuditEvent.objects.filter(action__startswith="waitlist.pin_")
                   .values_list("action", flat=True))
    assert actions.count("waitlist.pin_failed") == services.PIN_SLOWDOWN_AFTER
    assert actions.count("waitlist.pin_throttled") == 1
    assert actions.count("waitlist.pin_slowdown") == 1


def test_the_right_pin_shows_the_position(register):
    register(4)
    reg = register(2)
    g = services.check_pin(port="san-ysidro", number=2, pin=reg.pin)
    est = selectors.estimate("san-ysidro", g.number)
    assert est["groups_ahead"] == 1 and est["persons_ahead"] == 4


def test_the_draw_is_committed_before_the_window_closes_and_recomputable_after(register, officer):
    regs = [register(1) for _ in range(8)]
    services.set_settings(actor=officer, port="san-ysidro", policy="draw")
    now = timezone.now()
    rnd = services.draw_commit(actor=officer, port="san-ysidro",
                               closes_at=now + dt.timedelta(hours=23), at=now)
    assert LogEvent.objects.get(event="draw_committed").commitment == rnd.seed_hash
    for r in regs:
        services.draw_request(port="san-ysidro", number=r.group.number, pin=r.pin, at=now)
    with pytest.raises(DomainError) as exc:
        services.draw_reveal(actor=officer, port="san-ysidro", at=now + dt.timedelta(hours=1))
    assert exc.value.code == "waitlist.window_open"
    with pytest.raises(DomainError) as exc:
        services.call_next(actor=officer, port="san-ysidro", capacity=4,
                           at=now + dt.timedelta(hours=24))
    assert exc.value.code == "waitlist.draw_not_revealed"
    later = now + dt.timedelta(hours=23, minutes=1)
    services.draw_reveal(actor=officer, port="san-ysidro", at=later)
    revealed = LogEvent.objects.get(event="draw_revealed")
    seed = bytes.fromhex(revealed.detail)
    assert hashlib.sha256(seed).hexdigest() == rnd.seed_hash
    call = services.call_next(actor=officer, port="san-ysidro", capacity=4, at=later)
    # Recompute from the public log alone: requests (number, commitment) and the seed.
    reqs = [(e.number, e.commitment) for e in LogEvent.objects.filter(event="requested")
            .order_by("number")]
    longest = [n for n, _c in reqs[:2]]
    rest = sorted(reqs[2:], key=lambda r: hmac.new(seed, r[1].encode(),
                                                   hashlib.sha256).hexdigest())
    expected = longest + [n for n, _c in rest[:2]]
    assert sorted(call.groups.values_list("number", flat=True)) == sorted(expected)


def test_daily_history_counts_capacity_calls_presence_and_waiting(register, officer):
    register(2), register(3), register(1)
    services.set_capacity(actor=officer, port="san-ysidro", persons=5)
    services.call_next(actor=officer, port="san-ysidro")
    services.mark_present(actor=officer, port="san-ysidro", number=1)
    days = selectors.daily_history("san-ysidro", 3)
    assert len(days) == 3 and days[-1].date == timezone.localdate(
        timezone.now(), timezone=__import__("zoneinfo").ZoneInfo("America/Tijuana"))
    today = days[-1]
    assert (today.capacity_persons, today.persons_called, today.persons_present) == (5, 5, 2)
    assert (today.groups_waiting, today.persons_waiting) == (1, 1)


def test_wrong_pins_in_draw_requests_are_counted_and_audited(register, officer):
    """draw_request is one transaction; the PIN check's counters and audit event must
    survive the refusal it raises (they used to be rolled back with it: wrong PINs sent as
    draw requests were neither throttled nor audited)."""
    reg = register(1)
    services.set_settings(actor=officer, port="san-ysidro", policy="draw")
    now = timezone.now()
    services.draw_commit(actor=officer, port="san-ysidro",
                         closes_at=now + dt.timedelta(hours=23), at=now)
    for _ in range(services.PIN_MAX_FAILURES):
        with pytest.raises(DomainError) as exc:
            services.draw_request(port="san-ysidro", number=reg.group.number, pin="000000",
                                  client="6.6.6.6", at=now)
        assert exc.value.code == "waitlist.bad_pin"
    assert AuditEvent.objects.filter(action="waitlist.pin_failed").count() == \
        services.PIN_MAX_FAILURES
    assert AuditEvent.objects.filter(action="waitlist.pin_throttled").count() == 1
    with pytest.raises(DomainError) as exc:  # even the right PIN, from the guessing client
        services.draw_request(port="san-ysidro", number=reg.group.number, pin=reg.pin,
                              client="6.6.6.6", at=now)
    assert exc.value.code == "waitlist.pin_throttled"
    # The holder, from elsewhere, still gets in, once.
    req = services.draw_request(port="san-ysidro", number=reg.group.number, pin=reg.pin,
                                client="10.0.0.7", at=now)
    assert req.group_id == reg.group.pk
    assert AuditEvent.objects.filter(action="waitlist.draw_request").count() == 1
