"""Scheduling, notices, hearing day and outcomes through the services, on a real database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from garita.core.errors import DomainError, PermissionDenied
from garita.hearings import services
from garita.hearings.models import CourtSession, Hearing, HearingStatus
from garita.intake.models import Case
from garita.intake.pins import pin_matches
from garita.notices import services as notices
from garita.notices.models import Notice
from garita.notifications.models import Notification
from tests.factories import make_case, make_family
from tests.integration.hearings.conftest import add_address

pytestmark = pytest.mark.django_db


def _served_nta(case, officer, **kw):
    nta, pin = notices.nta_issue(actor=officer, case=case, **kw)
    notices.notice_record_service(actor=officer, notice=nta, method="in_person",
                                  acknowledgement="signed")
    return nta, pin


def _past(hearing, days=1):
    Hearing.objects.filter(pk=hearing.pk).update(
        starts_at=timezone.now() - dt.timedelta(days=days))
    hearing.refresh_from_db()
    return hearing


def test_scheduled_hearing_is_at_least_ten_days_after_service_at_the_fed_court(
        clerk, amenable_case, courts):
    [h] = services.hearing_schedule(actor=clerk, case=amenable_case)
    assert h.starts_at >= timezone.now() + dt.timedelta(days=10)
    assert h.court == courts["san-diego"]
    assert h.report_at == h.starts_at - dt.timedelta(hours=4)
    assert h.report_port.slug == "san-ysidro"
    assert Notification.objects.filter(case=amenable_case, event="hearing_scheduled").count() == 1


def test_family_unit_gets_one_session(clerk, courts):
    family = make_family(3, status="amenable")
    hs = services.hearing_schedule(actor=clerk, case=family[0])
    assert len(hs) == 3
    assert len({h.session_id for h in hs}) == 1


def test_choosing_a_session_too_soon_is_refused_and_nothing_written(clerk, amenable_case):
    soon = CourtSession.objects.filter(
        location__slug="san-diego", calendar="master",
        starts_at__gt=timezone.now() + dt.timedelta(days=2),
        starts_at__lt=timezone.now() + dt.timedelta(days=8)).first()
    with pytest.raises(DomainError) as err:
        services.hearing_schedule(actor=clerk, case=amenable_case, session=soon)
    assert err.value.code == "hearing.too_soon"
    assert not Hearing.objects.filter(case=amenable_case).exists()


def test_written_waiver_allows_an_earlier_session(clerk, amenable_case):
    soon = CourtSession.objects.filter(
        location__slug="san-diego", calendar="master",
        starts_at__gt=timezone.now() + dt.timedelta(days=2)).first()
    services.waiver_record(actor=clerk, case=amenable_case, signed_at=timezone.now())
    [h] = services.hearing_schedule(actor=clerk, case=amenable_case, session=soon)
    assert h.session == soon


def test_session_over_capacity_is_refused(clerk, courts):
    session = CourtSession.objects.filter(
        location__slug="san-diego", calendar="master",
        starts_at__gt=timezone.now() + dt.timedelta(days=12)).first()
    for _ in range(session.capacity):
        services.hearing_schedule(actor=clerk, case=make_case(status="amenable"),
                                  session=session)
    with pytest.raises(DomainError) as err:
        services.hearing_schedule(actor=clerk, case=make_case(status="amenable"),
                                  session=session)
    assert err.value.code == "hearing.session_full"


def test_unknown_language_is_refused(clerk, courts):
    case = make_case(status="amenable", languages=["xyz"])
    with pytest.raises(DomainError) as err:
        services.hearing_schedule(actor=clerk, case=case)
    assert err.value.code == "hearing.unknown_language"


def test_family_member_cannot_be_put_in_another_session(clerk, courts):
    family = make_family(2, status="amenable")
    [first, second] = services.hearing_schedule(actor=clerk, case=family[0])
    Hearing.objects.filter(pk=second.pk).update(status="cancelled")
    other = CourtSession.objects.filter(location__slug="san-diego", calendar="master",
                                        starts_at__gt=first.starts_at).first()
    with pytest.raises(DomainError) as err:
        services.hearing_schedule(actor=clerk, case=family[1], session=other)
    assert err.value.code == "hearing.family_split"


def test_time_in_the_wrong_time_zone_is_refused():
    with pytest.raises(DomainError) as err:
        services.parse_hearing_time("2019-07-01T08:30:00-05:00", "America/Los_Angeles")
    assert err.value.code == "hearing.wrong_timezone"
    with pytest.raises(DomainError) as err:
        services.parse_hearing_time("2019-07-01T08:30:00", "America/Los_Angeles")
    assert err.value.code == "hearing.naive_time"
    ok = services.parse_hearing_time("2019-07-01T08:30:00-07:00", "America/Los_Angeles")
    assert ok.utcoffset() == dt.timedelta(hours=-7)


def test_nta_needs_a_hearing_time_and_place(officer, amenable_case):
    with pytest.raises(DomainError) as err:
        notices.nta_issue(actor=officer, case=amenable_case)
    assert err.value.code == "notice.no_hearing"
    assert not Notice.objects.exists()


def test_nta_carries_the_pin_and_moves_the_case(clerk, officer, amenable_case):
    services.hearing_schedule(actor=clerk, case=amenable_case)
    nta, pin = notices.nta_issue(actor=officer, case=amenable_case)
    amenable_case.refresh_from_db()
    assert amenable_case.status == "nta_issued"
    assert pin_matches(amenable_case.a_number, pin, amenable_case.lookup_pin_digest)
    assert nta.pdf and pin not in str(nta.content)
    assert Notice.objects.filter(case=amenable_case, kind="tear_sheet").count() == 1


def test_placeholder_address_blocks_the_nta_unless_a_supervisor_overrides(
        clerk, officer, supervisor, courts):
    case = make_case(status="amenable")
    add_address(case, placeholder=True)
    services.hearing_schedule(actor=clerk, case=case)
    with pytest.raises(DomainError) as err:
        notices.nta_issue(actor=officer, case=case)
    assert err.value.code == "notice.address_placeholder"
    with pytest.raises(PermissionDenied) as err:
        notices.nta_issue(actor=officer, case=case, override_reason="Lives at the shelter")
    assert err.value.code == "notice.override_not_allowed"
    assert not Notice.objects.filter(case=case).exists()
    nta, _pin = notices.nta_issue(actor=supervisor, case=case,
                                  override_reason="Confirmed by phone with the shelter")
    assert nta.address_override_by == supervisor


def test_serving_the_nta_too_close_to_the_hearing_is_refused(clerk, officer, amenable_case):
    [h] = services.hearing_schedule(actor=clerk, case=amenable_case)
    nta, _ = notices.nta_issue(actor=officer, case=amenable_case)
    Hearing.objects.filter(pk=h.pk).update(starts_at=timezone.now() + dt.timedelta(days=5))
    with pytest.raises(DomainError) as err:
        notices.notice_record_service(actor=officer, notice=nta, method="in_person",
                                      acknowledgement="signed")
    assert err.value.code == "hearing.too_soon"
    nta.refresh_from_db()
    assert nta.served_at is None


def test_mail_service_needs_proof(clerk, officer, amenable_case):
    services.hearing_schedule(actor=clerk, case=amenable_case)
    nta, _ = notices.nta_issue(actor=officer, case=amenable_case)
    with pytest.raises(DomainError) as err:
        notices.notice_record_service(actor=officer, notice=nta, method="mail")
    assert err.value.code == "notice.mail_needs_proof"


def test_outcome_for_a_hearing_that_has_not_happened_is_refused(clerk, judge, amenable_case):
    [h] = services.hearing_schedule(actor=clerk, case=amenable_case)
    with pytest.raises(DomainError) as err:
        services.hearing_record_outcome(actor=judge, hearing=h, outcome="appeared")
    assert err.value.code == "hearing.not_yet_held"
    h.refresh_from_db()
    assert h.outcome == ""


def test_checked_in_on_time_but_escorted_late_is_never_a_failure_to_appear(
        clerk, officer, judge, amenable_case):
    [h] = services.hearing_schedule(actor=clerk, case=amenable_case)
    _served_nta(amenable_case, officer)
    h = _past(h)
    services.hearing_check_in(actor=officer, hearing=h, at=h.starts_at - dt.timedelta(hours=4))
    for outcome in ("did_not_appear", "removal_in_absentia"):
        with pytest.raises(DomainError) as err:
            services.hearing_record_outcome(actor=judge, hearing=h, outcome=outcome)
        assert err.value.code == "hearing.late_escort_not_absence"
    h.refresh_from_db()
    assert h.outcome == "" and h.status == "scheduled"


def test_in_absentia_needs_proven_notice(clerk, officer, judge, amenable_case):
    [h] = services.hearing_schedule(actor=clerk, case=amenable_case)
    notices.nta_issue(actor=officer, case=amenable_case)  # issued, never served
    h = _past(h)
    with pytest.raises(DomainError) as err:
        services.hearing_record_outcome(actor=judge, hearing=h, outcome="removal_in_absentia")
    assert err.value.code == "hearing.notice_not_proven"
    assert "nta_not_served" in err.value.details["reasons"]
    amenable_case.refresh_from_db()
    assert amenable_case.status == "nta_issued"


def test_in_absentia_with_proven_notice_opens_the_rescission_window(
        clerk, officer, judge, amenable_case):
    [h] = services.hearing_schedule(actor=clerk, case=amenable_case)
    _served_nta(amenable_case, officer)
    h = _past(h)
    h = services.hearing_record_outcome(actor=judge, hearing=h, outcome="removal_in_absentia")
    assert h.rescission_deadline == timezone.now().date() + dt.timedelta(days=180)
    case = Case.objects.get(pk=amenable_case.pk)
    assert case.status == "removal_in_absentia"
    services.in_absentia_rescind(actor=judge, hearing=h, ground="exceptional",
                                 reason="Hospitalized in Tijuana")
    case.refresh_from_db()
    assert case.status == "in_proceedings"


def test_continued_hearing_gets_a_new_date_and_a_served_notice(
        clerk, officer, judge, amenable_case):
    [h] = services.hearing_schedule(actor=clerk, case=amenable_case)
    _served_nta(amenable_case, officer)
    h = _past(h)
    services.hearing_record_outcome(actor=judge, hearing=h, outcome="continued")
    new = Hearing.objects.get(previous=h)
    assert new.status == HearingStatus.SCHEDULED and new.noticed_at is not None
    assert Notice.objects.filter(hearing=new, kind="hearing_notice").exists()


def test_relief_granted_needs_the_kind_of_relief(clerk, officer, judge, amenable_case):
    [h] = services.hearing_schedule(actor=clerk, case=amenable_case)
    _served_nta(amenable_case, officer)
    h = _past(h)
    with pytest.raises(DomainError) as err:
        services.hearing_record_outcome(actor=judge, hearing=h, outcome="relief_granted")
    assert err.value.code == "hearing.relief_required"
    services.hearing_record_outcome(actor=judge, hearing=h, outcome="relief_granted",
                                    relief="asylum")
    assert Case.objects.get(pk=amenable_case.pk).status == "relief_granted"


def test_bulk_schedule_of_all_unscheduled_cases(clerk, courts):
    cases = [make_case(status="amenable") for _ in range(5)] + make_family(2, status="amenable")
    report = services.schedule_unscheduled(actor=clerk)
    assert report.scheduled == 7
    assert Hearing.objects.filter(case__in=cases).count() == 7


def test_return_to_mexico_only_after_the_nta_is_served(clerk, officer, amenable_case):
    services.hearing_schedule(actor=clerk, case=amenable_case)
    nta, _pin = notices.nta_issue(actor=officer, case=amenable_case)
    with pytest.raises(DomainError) as err:
        notices.case_return_to_mexico(actor=officer, case=amenable_case)
    assert err.value.code == "notice.nta_not_served"
    notices.notice_record_service(actor=officer, notice=nta, method="in_person",
                                  acknowledgement="signed")
    case = notices.case_return_to_mexico(actor=officer, case=amenable_case)
    assert case.status == "returned_to_mexico"
