"""Mass rescheduling: preview changes nothing, apply moves all in one go and re-notices."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from garita.core.errors import DomainError
from garita.hearings import domain, services
from garita.hearings.models import Hearing, HearingChange
from garita.intake.models import Case
from garita.notices.models import Notice
from garita.notifications.models import Notification
from tests.factories import make_case

pytestmark = pytest.mark.django_db


def _scheduled(clerk, n):
    cases = [make_case(status="amenable") for _ in range(n)]
    services.schedule_unscheduled(actor=clerk)
    return cases


def _filter(courts):
    today = timezone.now().date()
    return services.RescheduleFilter(court_id=courts["san-diego"].pk, date_from=today,
                                     date_to=today + dt.timedelta(days=60), calendar="master")


def test_preview_counts_and_changes_nothing(clerk, courts):
    _scheduled(clerk, 4)
    before = list(Hearing.objects.values_list("id", "starts_at"))
    preview = services.reschedule_preview(actor=clerk, flt=_filter(courts),
                                          rule=domain.RescheduleRule("plus_days", days=7))
    assert preview["matched"] == 4
    assert preview["on_target"] + preview["later_than_target"] + sum(
        preview["conflicts"].values()) == 4
    assert list(Hearing.objects.values_list("id", "starts_at")) == before


def test_apply_moves_every_hearing_renotices_and_marks_cases_changed(clerk, courts):
    cases = _scheduled(clerk, 3)
    old = dict(Hearing.objects.values_list("id", "starts_at"))
    batch = services.reschedule_apply(actor=clerk, flt=_filter(courts),
                                      rule=domain.RescheduleRule("plus_days", days=7),
                                      reason="COVID-19: court closed")
    assert batch.moved == 3
    for h in Hearing.objects.all():
        assert h.starts_at.date() >= (old[h.pk] + dt.timedelta(days=7)).date() or (
            h.starts_at - old[h.pk] >= dt.timedelta(days=6))
        assert h.noticed_at is None and h.version == 2
    assert HearingChange.objects.filter(batch=batch).count() == 3
    assert Notice.objects.filter(reschedule_batch=batch, kind="hearing_notice").count() == 3
    assert Notice.objects.filter(reschedule_batch=batch, kind="tear_sheet").count() == 3
    changed = Notification.objects.filter(event="hearing_changed")
    # Every person is told (by SMS at least; calls too, per the outbox's fan-out), once each.
    assert set(changed.filter(channel="sms").values_list("case_id", flat=True)) == {
        c.pk for c in cases}
    assert changed.filter(channel="sms").count() == 3
    assert all(c.info_changed_at for c in Case.objects.filter(pk__in=[c.pk for c in cases]))


def test_apply_with_a_conflict_changes_nothing(clerk, courts):
    _scheduled(clerk, 2)
    before = list(Hearing.objects.values_list("id", "starts_at"))
    far = timezone.now().date() + dt.timedelta(days=400)  # no sessions that far
    with pytest.raises(DomainError) as err:
        services.reschedule_apply(actor=clerk, flt=_filter(courts),
                                  rule=domain.RescheduleRule("fixed", date=far), reason="x")
    assert err.value.code == "reschedule.conflicts"
    assert list(Hearing.objects.values_list("id", "starts_at")) == before
    assert not HearingChange.objects.exists()


def test_may_2020_rule_lands_on_weekdays_only(clerk, courts):
    _scheduled(clerk, 3)
    services.reschedule_apply(actor=clerk, flt=_filter(courts),
                              rule=domain.RescheduleRule("may_2020"), reason="May 2020 rule")
    for h in Hearing.objects.select_related("location__court"):
        assert h.starts_at.astimezone(domain.zone(h.location.tz)).weekday() < 5


def test_reschedule_needs_a_reason_and_permission(clerk, officer, courts):
    _scheduled(clerk, 1)
    with pytest.raises(DomainError) as err:
        services.reschedule_apply(actor=clerk, flt=_filter(courts),
                                  rule=domain.RescheduleRule("plus_days", days=7), reason=" ")
    assert err.value.code == "reschedule.reason_required"
    with pytest.raises(DomainError) as err:
        services.reschedule_preview(actor=officer, flt=_filter(courts),
                                    rule=domain.RescheduleRule("plus_days", days=7))
    assert err.value.status == 403
