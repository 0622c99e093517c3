"""What the hotline says, pure: statements from snapshots, SMS parsing and sizing, throttle."""

from __future__ import annotations

import dataclasses
import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from garita.hotline import domain
from garita.hotline.domain import CaseSnapshot, HearingSnapshot, ThrottlePolicy, ThrottleState

NOW = dt.datetime(2019, 6, 1, 12, tzinfo=dt.UTC)
STALE = dt.timedelta(days=180)


def snap(**kw) -> CaseSnapshot:
    base = dict(a_number="A234567890", status="returned_to_mexico", status_changed_at=NOW,
                info_changed_at=None, updated_at=NOW)
    base.update(kw)
    return CaseSnapshot(**base)


HEARING = HearingSnapshot(starts_at=NOW + dt.timedelta(days=20), timezone="America/Los_Angeles",
                          court_name="San Diego", place_name="Court", place_address="401 W A St",
                          report_at=NOW + dt.timedelta(days=20, hours=-4),
                          report_port_name="San Ysidro", report_port_address="720 E San Ysidro")


def keys(s: CaseSnapshot) -> list[str]:
    return [x.key for x in domain.statements(s, now=NOW, stale_after=STALE)]


def test_next_hearing_and_report_time_are_told():
    assert keys(snap(next_hearing=HEARING, had_hearing=True)) == [
        domain.NEXT_HEARING, domain.REPORT]


def test_no_hearing_yet_means_the_notice_is_not_filed():
    assert keys(snap(status="nta_issued")) == [domain.NOT_FILED]
    assert keys(snap(status="returned_to_mexico")) == [domain.NOT_FILED]


def test_every_status_before_filing_reads_the_same():
    outs = {tuple(keys(snap(status=s))) for s in domain.BEFORE_FILING}
    assert outs == {(domain.NOT_FILED,)}


def test_after_a_hearing_with_nothing_scheduled_says_so():
    assert keys(snap(status="in_proceedings", had_hearing=True)) == [domain.NO_UPCOMING_HEARING]


def test_decisions_come_with_appeal_or_reopen_dates():
    out = domain.statements(snap(status="removal_ordered"), now=NOW, stale_after=STALE)
    assert [s.key for s in out] == [domain.DECISION, domain.APPEAL_DEADLINE]
    assert out[1].params["until"] == NOW + dt.timedelta(days=30)
    out = domain.statements(snap(status="removal_in_absentia"), now=NOW, stale_after=STALE)
    assert [s.key for s in out] == [domain.DECISION, domain.REOPEN_WINDOW]
    assert out[1].params["until"] == NOW + dt.timedelta(days=180)


def test_cases_outside_mpp_get_one_neutral_statement():
    assert keys(snap(status="not_amenable")) == [domain.NOT_IN_MPP]
    assert keys(snap(status="removed_from_mpp")) == [domain.NOT_IN_MPP]


def test_mass_reschedule_old_data_or_a_past_unresolved_hearing_flag_staleness():
    assert keys(snap(info_changed_at=NOW))[0] == domain.STALE
    assert keys(snap(updated_at=NOW - dt.timedelta(days=181)))[0] == domain.STALE
    assert keys(snap(unresolved_past_hearing=True, had_hearing=True))[0] == domain.STALE
    assert domain.STALE not in keys(snap(updated_at=NOW - dt.timedelta(days=10)))


def test_snapshots_cannot_carry_names_or_nationality():
    fields = {f.name for f in dataclasses.fields(CaseSnapshot)}
    assert not fields & {"name", "given_names", "surnames", "nationality", "fear", "screening"}


@given(st.sampled_from(sorted(domain.BEFORE_FILING | domain.WAITING | domain.DECISIONS
                              | domain.OUTSIDE_MPP)), st.booleans(), st.booleans())
def test_statements_never_mention_fear_for_any_status(status, stale, hearing):
    out = domain.statements(
        snap(status=status, info_changed_at=NOW if stale else None,
             next_hearing=HEARING if hearing else None), now=NOW, stale_after=STALE)
    assert out
    for s in out:
        assert "fear" not in s.key and not any("fear" in str(v) for v in s.params.values())


# ---------------------------------------------------------------- SMS


def test_parse_status_with_keyword_and_any_spacing():
    c = domain.parse_sms("  estado  A234-567-890   123456 ")
    assert (c.kind, c.language, c.pin) == ("status", "es", "123456")
    assert c.a_number.replace("-", "") == "A234567890"


def test_parse_keywords_of_each_language():
    assert domain.parse_sms("SITUAÇÃO 1 2").language == "pt"
    assert domain.parse_sms("èd").kind == "help"
    assert domain.parse_sms("Kanpe").kind == "stop"
    assert domain.parse_sms("ALTA").kind == "start"
    assert domain.parse_sms("RECORDAR A234567890 123456").kind == "subscribe"


def test_bare_anumber_and_pin_is_a_status_request():
    assert domain.parse_sms("234567890 123456").kind == "status"


@given(st.text(max_size=3000))
def test_parse_sms_never_raises(body):
    c = domain.parse_sms(body)
    assert c.kind in {"status", "help", "stop", "start", "subscribe", "unknown"}


@given(st.text(max_size=2000))
def test_fit_sms_always_fits_in_four_segments(text):
    out = domain.fit_sms(text)
    assert domain.sms_segments(out) <= 4
    assert all(ch in domain.GSM7 for ch in out)


def test_gsm_folding_keeps_spanish_readable():
    assert domain.to_gsm("Próxima audiencia: sábado") == "Proxima audiencia: sabado"
    assert domain.to_gsm("Pwochen odyans: jiyè") == "Pwochen odyans: jiyè"


@given(st.text(alphabet="0123456789#*- ", max_size=20))
def test_clean_digits_returns_only_digits(raw):
    out = domain.clean_digits(raw)
    assert out == "" or out.isdigit()


# ---------------------------------------------------------------- throttle

POLICY = ThrottlePolicy(max_failures=3, window=dt.timedelta(hours=1),
                        lockout=dt.timedelta(minutes=30))


def test_locks_on_the_configured_failure():
    s = ThrottleState(0, None, None)
    for i in range(2):
        s, locked = domain.after_failure(s, NOW + dt.timedelta(minutes=i), POLICY)
        assert not locked
    s, locked = domain.after_failure(s, NOW + dt.timedelta(minutes=3), POLICY)
    assert locked and domain.is_locked(s, NOW + dt.timedelta(minutes=4))
    assert not domain.is_locked(s, NOW + dt.timedelta(minutes=34))


def test_failures_outside_the_window_start_over():
    s = ThrottleState(2, NOW - dt.timedelta(hours=2), None)
    s, locked = domain.after_failure(s, NOW, POLICY)
    assert not locked and s.failures == 1
