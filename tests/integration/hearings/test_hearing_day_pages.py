"""The hearing day on the staff pages: check-in, escort runs, arrival at court, outcomes.

Every refusal answers with its own status (403 permission, 409 a rule of the case, 400 bad
input), shows the translated reason on the page, and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from garita.audit.models import AuditEvent
from garita.hearings import domain, selectors, services
from garita.hearings.models import EscortRun, Hearing, PortHearingSettings
from garita.notices import services as notices
from tests.factories import make_case
from tests.integration.hearings.conftest import add_address

pytestmark = pytest.mark.django_db

TIJUANA = domain.zone("America/Tijuana")


def logged_in(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def local(value: dt.datetime) -> str:
    """A datetime-local form value in the port's time zone."""
    return value.astimezone(TIJUANA).strftime("%Y-%m-%dT%H:%M")


def hearing_this_morning(clerk, officer, *, serve: bool = True) -> Hearing:
    """A served case whose hearing began an hour ago (report time four hours before)."""
    case = make_case(status="amenable")
    add_address(case)
    [h] = services.hearing_schedule(actor=clerk, case=case)
    nta, _pin = notices.nta_issue(actor=officer, case=case)
    if serve:
        notices.notice_record_service(actor=officer, notice=nta, method="in_person",
                                      acknowledgement="signed")
    start = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(hours=1)
    Hearing.objects.filter(pk=h.pk).update(starts_at=start,
                                           report_at=start - dt.timedelta(hours=4))
    h.refresh_from_db()
    return h


def port_day_url(h: Hearing) -> str:
    day = h.report_at.astimezone(TIJUANA).date().isoformat()
    return reverse("hearings:port_day", args=["san-ysidro"]) + f"?date={day}"


def case_action(h: Hearing) -> str:
    return reverse("hearings:case_action", args=[h.case.a_number])


# --- the port's hearing morning ---------------------------------------------------------


def test_officer_checks_in_forms_a_run_and_records_the_arrival_on_the_port_page(
        clerk, officer, amenable_case):
    h = hearing_this_morning(clerk, officer)
    c = logged_in(officer)
    url = port_day_url(h)
    page = c.get(url)
    assert page.status_code == 200
    assert h.case.a_number in page.content.decode()
    checked_at = h.report_at + dt.timedelta(minutes=10)
    r = c.post(url, {"action": "check_in", "hearing": h.pk, "at": local(checked_at)})
    assert r.status_code == 302
    h.refresh_from_db()
    assert h.checked_in_at == checked_at and h.checked_in_by == officer
    left = h.report_at + dt.timedelta(minutes=40)
    r = c.post(url, {"action": "escort_start", "hearings": [h.pk], "departed_at": local(left)})
    assert r.status_code == 302
    run = EscortRun.objects.get()
    assert run.departed_at == left and run.port.slug == "san-ysidro"
    assert list(run.hearings.all()) == [h]
    arrived = h.starts_at + dt.timedelta(minutes=20)  # the escort was late
    r = c.post(url, {"action": "escort_arrive", "run": run.pk, "arrived_at": local(arrived)})
    assert r.status_code == 302
    h.refresh_from_db()
    assert h.arrived_at_court_at == arrived
    page = c.get(url).content.decode()
    assert "escorted late" in page
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"hearing.check_in", "escort.start", "escort.arrive"} <= actions


def test_a_run_over_the_ports_persons_per_run_is_a_409_and_nothing_is_written(
        clerk, officer, courts):
    PortHearingSettings.objects.filter(port__slug="san-ysidro").update(escort_persons_per_run=1)
    first = hearing_this_morning(clerk, officer)
    second = hearing_this_morning(clerk, officer)
    for h in (first, second):
        services.hearing_check_in(actor=officer, hearing=h, at=h.report_at)
    r = logged_in(officer).post(port_day_url(first), {
        "action": "escort_start", "hearings": [first.pk, second.pk]})
    assert r.status_code == 409
    body = r.content.decode()
    assert "escort.over_capacity" in body and "escort capacity per run" in body
    assert not EscortRun.objects.exists()
    assert not Hearing.objects.filter(escort_run__isnull=False).exists()


def test_escorting_someone_not_checked_in_is_refused_on_the_page(clerk, officer, courts):
    h = hearing_this_morning(clerk, officer)
    r = logged_in(officer).post(port_day_url(h), {"action": "escort_start", "hearings": [h.pk]})
    assert r.status_code == 409
    assert "escort.not_checked_in" in r.content.decode()
    assert not EscortRun.objects.exists()


def test_a_check_in_in_the_future_is_a_400_and_not_recorded(clerk, officer, courts):
    h = hearing_this_morning(clerk, officer)
    later = timezone.now() + dt.timedelta(hours=2)
    r = logged_in(officer).post(port_day_url(h), {"action": "check_in", "hearing": h.pk,
                                                  "at": local(later)})
    assert r.status_code == 400
    assert "checkin.in_future" in r.content.decode()
    h.refresh_from_db()
    assert h.checked_in_at is None


def test_a_second_arrival_of_the_same_run_is_a_409(clerk, officer, courts):
    h = hearing_this_morning(clerk, officer)
    services.hearing_check_in(actor=officer, hearing=h, at=h.report_at)
    run = services.escort_run_start(actor=officer, hearings=[h],
                                    departed_at=h.report_at + dt.timedelta(minutes=30))
    services.escort_run_arrive(actor=officer, run=run, arrived_at=h.starts_at)
    r = logged_in(officer).post(port_day_url(h), {"action": "escort_arrive", "run": run.pk})
    assert r.status_code == 409
    run.refresh_from_db()
    assert run.arrived_at == h.starts_at


def test_the_port_page_is_for_port_staff(clerk, officer, judge, courts):
    h = hearing_this_morning(clerk, officer)
    assert logged_in(judge).get(port_day_url(h)).status_code == 403
    r = logged_in(officer).post(port_day_url(h), {"action": "check_in", "hearing": "x"})
    assert r.status_code == 400 and "request.bad_id" in r.content.decode()


# --- the outcome on the case page -------------------------------------------------------


def test_checked_in_on_time_and_escorted_late_can_never_be_recorded_as_absent_on_the_page(
        clerk, officer, judge, courts):
    h = hearing_this_morning(clerk, officer)
    services.hearing_check_in(actor=officer, hearing=h, at=h.report_at)
    run = services.escort_run_start(actor=officer, hearings=[h],
                                    departed_at=h.starts_at - dt.timedelta(minutes=30))
    services.escort_run_arrive(actor=officer, run=run,
                               arrived_at=h.starts_at + dt.timedelta(minutes=45))
    c = logged_in(judge)
    page = c.get(reverse("hearings:case", args=[h.case.a_number])).content.decode()
    assert "a late escort is never a failure to appear" in page  # said before anyone tries
    for outcome in ("did_not_appear", "removal_in_absentia"):
        r = c.post(case_action(h), {"action": "outcome", "hearing": h.pk, "outcome": outcome})
        assert r.status_code == 409
        body = r.content.decode()
        assert "hearing.late_escort_not_absence" in body
        assert "a late escort is never a failure to appear" in body
    h.refresh_from_db()
    assert h.outcome == "" and h.status == "scheduled"
    r = c.post(case_action(h), {"action": "outcome", "hearing": h.pk, "outcome": "continued",
                                "continue_calendar": "master"})
    assert r.status_code == 302
    new = Hearing.objects.get(previous=h)
    assert new.noticed_at is not None and new.status == "scheduled"


def test_in_absentia_without_proven_notice_is_a_409_with_the_reasons_in_words(
        clerk, officer, judge, courts):
    h = hearing_this_morning(clerk, officer, serve=False)
    c = logged_in(judge)
    r = c.post(case_action(h), {"action": "outcome", "hearing": h.pk,
                                "outcome": "removal_in_absentia"})
    assert r.status_code == 409
    body = r.content.decode()
    assert "hearing.notice_not_proven" in body
    assert "the Notice to Appear was not served" in body
    h.refresh_from_db()
    assert h.outcome == ""


def test_the_refusal_is_in_spanish_for_a_spanish_speaking_clerk(clerk, officer, judge, courts):
    h = hearing_this_morning(clerk, officer, serve=False)
    r = logged_in(judge).post(case_action(h), {
        "action": "outcome", "hearing": h.pk, "outcome": "removal_in_absentia"},
        HTTP_ACCEPT_LANGUAGE="es")
    assert r.status_code == 409
    body = r.content.decode()
    assert "la Notificación de Comparecencia no fue entregada" in body
    assert "No se hizo" in body


def test_case_action_refusals_carry_their_status(clerk, officer, judge, amenable_case):
    [h] = services.hearing_schedule(actor=clerk, case=amenable_case)
    url = case_action(h)
    # permission: a port officer does not record outcomes
    r = logged_in(officer).post(url, {"action": "outcome", "hearing": h.pk,
                                      "outcome": "appeared"})
    assert r.status_code == 403
    assert "You do not have permission" in r.content.decode()
    # a rule of the case: the hearing has not happened yet
    r = logged_in(judge).post(url, {"action": "outcome", "hearing": h.pk,
                                    "outcome": "appeared"})
    assert r.status_code == 409 and "hearing.not_yet_held" in r.content.decode()
    # bad input
    r = logged_in(judge).post(url, {"action": "outcome", "hearing": "abc", "outcome": "x"})
    assert r.status_code == 400 and "request.bad_id" in r.content.decode()
    r = logged_in(judge).post(url, {"action": "no-such-action"})
    assert r.status_code == 400 and "request.unknown_action" in r.content.decode()
    other = make_case(status="amenable")
    r = logged_in(judge).post(reverse("hearings:case_action", args=[other.a_number]),
                              {"action": "outcome", "hearing": h.pk, "outcome": "appeared"})
    assert r.status_code == 404
    # the schedule action: already scheduled is a 409
    r = logged_in(clerk).post(url, {"action": "schedule"})
    assert r.status_code == 409 and "hearing.already_scheduled" in r.content.decode()
    h.refresh_from_db()
    assert h.outcome == "" and Hearing.objects.filter(case=amenable_case).count() == 1


def test_service_refusals_on_the_case_page(clerk, officer, amenable_case):
    services.hearing_schedule(actor=clerk, case=amenable_case)
    c = logged_in(officer)
    url = reverse("hearings:case_action", args=[amenable_case.a_number])
    r = c.post(url, {"action": "issue_nta", "language": "pt"})
    assert r.status_code == 400 and "notice.language_unavailable" in r.content.decode()
    assert c.post(url, {"action": "issue_nta"}).status_code == 302
    nta = amenable_case.notices.get(kind="nta")
    r = c.post(url, {"action": "serve", "notice": nta.pk, "method": "mail"})
    assert r.status_code == 400 and "notice.mail_needs_proof" in r.content.decode()
    r = c.post(url, {"action": "return"})
    assert r.status_code == 409 and "notice.nta_not_served" in r.content.decode()
    nta.refresh_from_db()
    assert nta.served_at is None


def test_arrival_at_court_on_the_docket(clerk, officer, courts):
    case = make_case(status="not_amenable")  # waits in the US: comes to court on their own
    add_address(case)
    [h] = services.hearing_schedule(actor=clerk, case=case)
    url = reverse("hearings:docket", args=[h.session_id])
    c = logged_in(clerk)
    assert c.post(url, {"hearing": h.pk}).status_code == 302
    h.refresh_from_db()
    assert h.arrived_at_court_at is not None
    r = c.post(url, {"hearing": h.pk})
    assert r.status_code == 409 and "escort.already_arrived" in r.content.decode()


def test_arrival_at_court_before_the_hearing_is_never_an_absence(clerk, officer, judge,
                                                                 courts):
    h = hearing_this_morning(clerk, officer)
    Hearing.objects.filter(pk=h.pk).update(report_at=None, report_port=None)
    h.refresh_from_db()
    services.hearing_arrive_at_court(actor=clerk, hearing=h,
                                     at=h.starts_at - dt.timedelta(minutes=15))
    r = logged_in(judge).post(case_action(h), {"action": "outcome", "hearing": h.pk,
                                               "outcome": "did_not_appear"})
    assert r.status_code == 409 and "hearing.arrived_not_absence" in r.content.decode()


# --- mass reschedule page ---------------------------------------------------------------


def test_reschedule_page_refusals_carry_their_status(clerk, officer, courts):
    from garita.core.errors import DomainError  # noqa: F401 - documents what is mapped

    services.hearing_schedule(actor=clerk, case=make_case(status="amenable"))
    url = reverse("hearings:reschedule")
    c = logged_in(clerk)
    r = c.post(url, {"rule": "someday"})
    assert r.status_code == 400 and "reschedule.unknown_rule" in r.content.decode()
    r = c.post(url, {"rule": "plus_days", "days": "7", "court": "atlantis"})
    assert r.status_code == 400 and "reschedule.unknown_court" in r.content.decode()
    before = list(Hearing.objects.values_list("id", "starts_at"))
    far = (timezone.now() + dt.timedelta(days=400)).date().isoformat()
    r = c.post(url, {"rule": "fixed", "date": far, "court": "san-diego", "confirm": "1",
                     "reason": "court closed"})
    assert r.status_code == 409
    body = r.content.decode()
    assert "reschedule.conflicts" in body and "No court session with room" in body
    assert list(Hearing.objects.values_list("id", "starts_at")) == before
    assert logged_in(officer).get(url).status_code == 403
    r = c.post(url, {"rule": "plus_days", "days": "7", "court": "san-diego"})
    assert r.status_code == 200 and "Hearings matched" in r.content.decode()


def test_mass_reschedule_tells_the_representative(clerk, courts):
    from garita.intake.models import Appearance
    from garita.notifications.models import Notification
    from tests.integration.hearings.conftest import staff

    case = make_case(status="amenable")
    services.hearing_schedule(actor=clerk, case=case)
    lawyer = staff("legal_representative", email="abogada@example.org")
    Appearance.objects.create(case=case, representative=lawyer, filed_at=timezone.now())
    today = timezone.now().date()
    services.reschedule_apply(
        actor=clerk, rule=domain.RescheduleRule("plus_days", days=7), reason="COVID-19",
        flt=services.RescheduleFilter(court_id=courts["san-diego"].pk, date_from=today,
                                      date_to=today + dt.timedelta(days=60)))
    told = Notification.objects.filter(case=case, event="hearing_changed",
                                       recipient_kind="representative")
    assert list(told.values_list("to_address", flat=True)) == ["abogada@example.org"]


def test_the_hearings_start_page_links_by_role_and_finds_a_case(clerk, officer, amenable_case):
    page = logged_in(officer).get(reverse("hearings:index")).content.decode()
    assert reverse("hearings:hearing_day") in page
    assert reverse("hearings:reschedule") not in page
    page = logged_in(clerk).get(reverse("hearings:index")).content.decode()
    assert reverse("hearings:reschedule") in page and reverse("hearings:hearing_day") not in page
    r = logged_in(clerk).get(reverse("hearings:find"), {"a_number": amenable_case.a_number})
    assert r.status_code == 302 and amenable_case.a_number in r["Location"]
    other = make_case(status="amenable")
    lawyer = __import__("tests.integration.hearings.conftest", fromlist=["staff"]).staff(
        "legal_representative")
    r = logged_in(lawyer).get(reverse("hearings:find"), {"a_number": other.a_number})
    assert r.status_code == 404  # a case outside the representative's scope is not revealed


def test_an_officer_with_a_port_goes_straight_to_its_hearing_day(courts, make_user):
    officer = make_user("port_officer")  # assigned to San Ysidro
    r = logged_in(officer).get(reverse("hearings:hearing_day"))
    assert r.status_code == 302
    assert r["Location"] == reverse("hearings:port_day", args=["san-ysidro"])


# --- times on the pages ------------------------------------------------------------------


def test_the_pages_show_each_time_where_it_happens(clerk, officer, judge, courts):
    """Report and check-in times in the port's zone, hearing and arrival in the court's."""
    h = hearing_this_morning(clerk, officer)
    services.hearing_check_in(actor=officer, hearing=h, at=h.report_at + dt.timedelta(minutes=5))
    run = services.escort_run_start(actor=officer, hearings=[Hearing.objects.get(pk=h.pk)],
                                    departed_at=h.report_at + dt.timedelta(minutes=30))
    services.escort_run_arrive(actor=officer, run=run,
                               arrived_at=h.starts_at + dt.timedelta(minutes=7))
    h.refresh_from_db()
    court = domain.zone(h.location.tz)

    def at(value: dt.datetime, tz: Any, fmt: str) -> str:
        return value.astimezone(tz).strftime(fmt)

    page = logged_in(judge).get(reverse("hearings:case", args=[h.case.a_number])).content.decode()
    assert at(h.starts_at, court, "%Y-%m-%d %H:%M") in page
    assert at(h.report_at, TIJUANA, "%Y-%m-%d %H:%M") in page
    assert f"Checked in {at(h.checked_in_at, TIJUANA, '%Y-%m-%d %H:%M')}" in page
    assert f"left {at(run.departed_at, TIJUANA, '%H:%M')}" in page
    assert f"Arrived at court {at(h.arrived_at_court_at, court, '%H:%M')}" in page
    # The sessions a continued hearing may go to, each at its location's time.
    session = selectors.open_sessions(judge, court_ids={h.court_id}, date_from=timezone.now(),
                                      date_to=timezone.now() + dt.timedelta(days=120))[0]
    option = (f'<option value="{session.pk}">'
              f'{at(session.starts_at, domain.zone(session.location.tz), "%Y-%m-%d %H:%M %Z")} · ')
    assert option in page

    page = logged_in(clerk).get(reverse("hearings:docket", args=[h.session_id])).content.decode()
    assert (f"<td>{at(h.checked_in_at, TIJUANA, '%H:%M')}</td><td>{run.sequence}</td>\n"
            f"<td>{at(h.arrived_at_court_at, court, '%H:%M')}") in page

    page = logged_in(officer).get(port_day_url(h)).content.decode()
    assert f"<td>{at(h.report_at, TIJUANA, '%H:%M')}</td>" in page
    assert f'<span class="checked-in">{at(h.checked_in_at, TIJUANA, "%H:%M")}</span>' in page
    assert f"<td>{run.sequence}</td><td>1</td><td>{at(run.departed_at, TIJUANA, '%H:%M')}</td>" \
        in page

    page = logged_in(clerk).get(reverse("hearings:schedule") + "?court=san-diego").content.decode()
    first = selectors.sessions_list(clerk, court_slug="san-diego", date_from=timezone.now(),
                                    date_to=timezone.now() + dt.timedelta(days=45), limit=1)[0]
    assert (f'{first.pk}</a></td><td>'
            f'{at(first.starts_at, domain.zone(first.location.tz), "%Y-%m-%d %H:%M")}') in page


def test_a_texas_port_and_court_are_shown_at_their_own_time_not_tijuanas(clerk, officer,
                                                                         judge, courts):
    """Laredo reports at Central time, its hearings too: not at Tijuana's (the site's
    default zone), which the date filter would otherwise convert every time to."""
    case = make_case(status="amenable", port_slug="laredo")
    add_address(case)
    [h] = services.hearing_schedule(actor=clerk, case=case)
    assert h.report_port.slug == "laredo" and h.location.tz == "America/Chicago"
    central = domain.zone("America/Chicago")
    start = h.starts_at.astimezone(central)
    report = h.report_at.astimezone(central)
    assert start.utcoffset() != h.starts_at.astimezone(TIJUANA).utcoffset()

    page = logged_in(judge).get(reverse("hearings:case", args=[case.a_number])).content.decode()
    assert f"{start:%Y-%m-%d %H:%M} {start.tzname()}" in page
    assert f"{report:%Y-%m-%d %H:%M} {report.tzname()} · Laredo" in page

    page = logged_in(clerk).get(reverse("hearings:docket", args=[h.session_id])).content.decode()
    assert f"<p>{start:%Y-%m-%d %H:%M} {start.tzname()} · " in page

    url = reverse("hearings:port_day", args=["laredo"]) + f"?date={report.date().isoformat()}"
    page = logged_in(officer).get(url).content.decode()
    assert f"<td>{report:%H:%M}</td>" in page
    assert f"<td>{start:%H:%M} {start.tzname()} · " in page

    page = logged_in(clerk).get(reverse("hearings:schedule") + "?court=harlingen").content.decode()
    first = selectors.sessions_list(clerk, court_slug="harlingen", date_from=timezone.now(),
                                    date_to=timezone.now() + dt.timedelta(days=45), limit=1)[0]
    first_start = first.starts_at.astimezone(central)
    assert (f"{first.pk}</a></td><td>{first_start:%Y-%m-%d %H:%M} {first_start.tzname()}</td>"
            in page)


def test_times_labelled_utc_are_shown_in_utc(clerk, officer, judge, courts):
    h = hearing_this_morning(clerk, officer)
    services.hearing_record_outcome(actor=judge, hearing=h, outcome="appeared")
    h.refresh_from_db()
    page = logged_in(judge).get(reverse("hearings:case", args=[h.case.a_number])).content.decode()
    assert f"{h.outcome_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC" in page
    from garita.hearings.models import HearingChange

    case = make_case(status="amenable")
    services.hearing_schedule(actor=clerk, case=case)
    today = timezone.now().date()
    services.reschedule_apply(
        actor=clerk, rule=domain.RescheduleRule("plus_days", days=7), reason="court closed",
        flt=services.RescheduleFilter(court_id=courts["san-diego"].pk, date_from=today,
                                      date_to=today + dt.timedelta(days=60)))
    change = HearingChange.objects.get(hearing__case=case)
    page = logged_in(clerk).get(reverse("hearings:case", args=[case.a_number])).content.decode()
    old, new = (t.astimezone(dt.UTC) for t in (change.old_starts_at, change.new_starts_at))
    assert f"{old:%Y-%m-%d %H:%M} → {new:%Y-%m-%d %H:%M} (UTC)" in page


def test_a_laredo_notices_issue_and_service_times_are_central(clerk, officer, judge, courts):
    case = make_case(status="amenable", port_slug="laredo")
    add_address(case)
    services.hearing_schedule(actor=clerk, case=case)
    nta, _pin = notices.nta_issue(actor=officer, case=case)
    notices.notice_record_service(actor=officer, notice=nta, method="in_person",
                                  acknowledgement="signed")
    nta.refresh_from_db()
    central = domain.zone("America/Chicago")
    page = logged_in(judge).get(reverse("hearings:case", args=[case.a_number])).content.decode()
    for at in (nta.issued_at, nta.served_at):
        local = at.astimezone(central)
        assert local.utcoffset() != at.astimezone(TIJUANA).utcoffset()
        assert f"{local:%Y-%m-%d %H:%M} {local.tzname()}" in page
