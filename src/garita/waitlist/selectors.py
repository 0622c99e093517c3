"""Reads of the waitlist: the public board (no names), a group's position and estimate,
daily history for statistics, and the staff search (names only with WAITLIST_VIEW_NAMES).

`daily_history(port, days)` is used by the statistics app: keep its name and signature.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from garita.accounts.permissions import has, require
from garita.accounts.roles import Permission
from garita.audit import services as audit
from garita.core.errors import NotFound
from garita.core.models import Port
from garita.waitlist import domain
from garita.waitlist.domain import Event
from garita.waitlist.models import Call, DayCapacity, Group, GroupStatus, LogEvent, Waitlist

RECENT_DAYS = 14


def waitlist_for_read(port: Port | str) -> Waitlist:
    """The port's waitlist for a read, which never writes: a port whose list was never
    used gets an unsaved, empty default (pk None, so every filter on it finds nothing).
    Unknown port -> waitlist.unknown_port."""
    port_obj = port if isinstance(port, Port) else Port.objects.filter(slug=port).first()
    if port_obj is None:
        raise NotFound("waitlist.unknown_port", _("There is no port with that name."))
    wl = Waitlist.objects.select_related("port").filter(port=port_obj).first()
    return wl if wl is not None else Waitlist(port=port_obj)


@dataclass(frozen=True)
class DayStat:
    date: dt.date
    capacity_persons: int
    persons_called: int
    persons_present: int
    groups_waiting: int
    persons_waiting: int


def _tz(wl: Waitlist) -> ZoneInfo:
    return ZoneInfo(wl.port.timezone)


def _local_day_start(wl: Waitlist, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=_tz(wl))


def _waiting_delta(event: str, detail: str) -> int:
    if event in (Event.REGISTERED, Event.REQUEUED):
        return 1
    if event == Event.CALLED:
        return -1
    if event == Event.REMOVED and not detail.startswith("after_call:"):
        return -1
    return 0


def daily_history(port: Port | str, days: int) -> list[DayStat]:
    """One row per local day for the last `days` days (oldest first, today included)."""
    wl = waitlist_for_read(port)
    tz = _tz(wl)
    today = timezone.now().astimezone(tz).date()
    first = today - dt.timedelta(days=max(1, days) - 1)
    start = _local_day_start(wl, first)
    kinds = [Event.REGISTERED, Event.REQUEUED, Event.CALLED, Event.REMOVED, Event.PRESENT]
    base = LogEvent.objects.filter(waitlist_id=wl.pk, event__in=kinds)
    # Waiting before the window: one aggregate per (event, after-call removal).
    groups_w = persons_w = 0
    for row in (base.filter(at__lt=start).values("event")
                .annotate(n=Count("id"), p=Sum("size"),
                          ac=Count("id", filter=Q(detail__startswith="after_call:")),
                          acp=Sum("size", filter=Q(detail__startswith="after_call:")))):
        sign = _waiting_delta(row["event"], "")
        if row["event"] == Event.REMOVED:
            groups_w -= row["n"] - row["ac"]
            persons_w -= (row["p"] or 0) - (row["acp"] or 0)
        else:
            groups_w += sign * row["n"]
            persons_w += sign * (row["p"] or 0)
    per_day: dict[dt.date, list[int]] = {}
    for day_row in (base.filter(at__gte=start).annotate(d=TruncDate("at", tzinfo=tz))
                    .values("d", "event", "detail").annotate(n=Count("id"), p=Sum("size"))):
        # d groups, d persons, called, present
        acc = per_day.setdefault(day_row["d"], [0, 0, 0, 0])
        sign = _waiting_delta(day_row["event"], day_row["detail"])
        acc[0] += sign * day_row["n"]
        acc[1] += sign * (day_row["p"] or 0)
        if day_row["event"] == Event.CALLED:
            acc[2] += day_row["p"] or 0
        elif day_row["event"] == Event.PRESENT:
            acc[3] += day_row["p"] or 0
    caps = dict(DayCapacity.objects.filter(waitlist_id=wl.pk, day__gte=first)
                .values_list("day", "persons"))
    out = []
    for i in range(max(1, days)):
        d = first + dt.timedelta(days=i)
        acc = per_day.get(d, [0, 0, 0, 0])
        groups_w += acc[0]
        persons_w += acc[1]
        out.append(DayStat(d, caps.get(d, 0), acc[2], acc[3], groups_w, persons_w))
    return out


def _queue(wl: Waitlist):  # type: ignore[no-untyped-def]
    return Group.objects.filter(waitlist_id=wl.pk, status=GroupStatus.WAITING)


def _recent_pace(wl: Waitlist, today: dt.date) -> list[int]:
    since = today - dt.timedelta(days=RECENT_DAYS)
    rows = (Call.objects.filter(waitlist_id=wl.pk, day__gte=since, day__lt=today)
            .values("day").annotate(p=Sum("persons")))
    return [r["p"] for r in rows if r["p"]]


def board(port: Port | str) -> dict[str, Any]:
    """Everything the public board shows. Numbers, sizes and dates only: no names."""
    wl = waitlist_for_read(port)
    tz = _tz(wl)
    now = timezone.now()
    today = now.astimezone(tz).date()
    cap = DayCapacity.objects.filter(waitlist_id=wl.pk, day=today).first()
    today_groups = list(
        Group.objects.filter(waitlist_id=wl.pk, call__day=today).order_by("called_at", "number")
        .values("number", "size", "status", "called_at"))
    grace = dt.timedelta(minutes=wl.grace_minutes)
    called_today = [
        {"number": g["number"], "size": g["size"], "status": g["status"],
         "called_at": g["called_at"].astimezone(tz).strftime("%H:%M") if g["called_at"] else "",
         "present_by": (g["called_at"] + grace).astimezone(tz).strftime("%H:%M")
         if g["called_at"] else ""}
        for g in today_groups]
    recent = []
    for r in (Call.objects.filter(waitlist_id=wl.pk, day__lt=today,
                                  day__gte=today - dt.timedelta(days=RECENT_DAYS))
              .values("day").annotate(persons=Sum("persons"), n_groups=Sum("groups_count"))
              .order_by("-day")):
        nums = list(Group.objects.filter(waitlist_id=wl.pk, call__day=r["day"])
                    .order_by("number").values_list("number", flat=True)[:1000])
        recent.append({"day": r["day"].isoformat(), "persons": r["persons"],
                       "groups": r["n_groups"], "first": nums[0] if nums else None,
                       "last": nums[-1] if nums else None})
    agg = _queue(wl).aggregate(groups=Count("id"), persons=Sum("size"))
    head = _queue(wl).order_by("priority", "number").values_list("number", flat=True).first()
    return {
        "port": wl.port.slug,
        "port_name": wl.port.name,
        # "today", "called_at" and "present_by" are at the port's clock: this names it.
        "timezone": wl.port.timezone,
        "today": today.isoformat(),
        "is_open": wl.is_open,
        "policy": wl.policy,
        "grace_minutes": wl.grace_minutes,
        "capacity_persons": cap.persons if cap else None,
        "persons_called_today": sum(g["size"] for g in today_groups),
        "called_today": called_today,
        "recent_days": recent,
        "groups_waiting": agg["groups"] or 0,
        "persons_waiting": agg["persons"] or 0,
        "next_number": head,
        "last_number_given": wl.next_number - 1,
        "pace_persons_per_day": _recent_pace(wl, today),
        "log_size": wl.log_size,
    }


def estimate(port: Port | str, number: int) -> dict[str, Any]:
    """Estimated date range for any number still waiting (public: no names, no PIN)."""
    wl = waitlist_for_read(port)
    g = Group.objects.filter(waitlist_id=wl.pk, number=number).first()
    if g is None:
        raise NotFound("waitlist.unknown_number", _("There is no group with that number."))
    today = timezone.now().astimezone(_tz(wl)).date()
    out: dict[str, Any] = {"number": number, "size": g.size, "status": g.status}
    if g.status != GroupStatus.WAITING:
        out["called_on"] = g.called_at.astimezone(_tz(wl)).date().isoformat() \
            if g.called_at else None
        return out
    ahead = _queue(wl).filter(Q(priority__lt=g.priority) |
                              Q(priority=g.priority, number__lt=g.number))
    agg = ahead.aggregate(groups=Count("id"), persons=Sum("size"))
    est = domain.estimate_days((agg["persons"] or 0) + g.size, _recent_pace(wl, today))
    forecast = _forecast(wl, number, (agg["persons"] or 0), today)
    out.update({
        "groups_ahead": agg["groups"] or 0,
        "persons_ahead": agg["persons"] or 0,
        "earliest": (today + dt.timedelta(days=est.earliest_days)).isoformat()
        if est.earliest_days is not None else None,
        "latest": (today + dt.timedelta(days=est.latest_days)).isoformat()
        if est.latest_days is not None else None,
        # The statistics app's 80% interval ("usually between ... and ..."), when it has one.
        "usually_low": forecast.low.isoformat() if forecast else None,
        "usually_high": forecast.high.isoformat() if forecast else None,
    })
    return out


def persons_ahead(port: Port | str, number: int) -> int | None:
    """People waiting ahead of this number (the statistics forecasts ask for it)."""
    wl = waitlist_for_read(port)
    g = Group.objects.filter(waitlist_id=wl.pk, number=number, status=GroupStatus.WAITING).first()
    if g is None:
        return None
    ahead = _queue(wl).filter(Q(priority__lt=g.priority) |
                              Q(priority=g.priority, number__lt=g.number))
    return int(ahead.aggregate(persons=Sum("size"))["persons"] or 0)


def _forecast(wl: Waitlist, number: int, ahead: int, today: dt.date):  # type: ignore[no-untyped-def]
    try:
        from garita.stats.forecasts import forecast_waitlist_number

        return forecast_waitlist_number(wl.port.slug, number, persons_ahead=ahead, today=today)
    except Exception:  # a forecast is a courtesy: never fail the board over it
        import logging

        logging.getLogger(__name__).exception("waitlist forecast failed")
        return None


def search(*, actor: Any, port: Port | str, query: str) -> list[dict[str, Any]]:
    """Staff search by number (any operator) or by name (WAITLIST_VIEW_NAMES, audited)."""
    require(actor, Permission.WAITLIST_REGISTER) if not has(actor, Permission.WAITLIST_OPERATE) \
        else None
    wl = waitlist_for_read(port)
    q = query.strip()
    if not q:
        return []
    qs = Group.objects.filter(waitlist_id=wl.pk)
    if q.isdigit():
        qs = qs.filter(number=int(q))
    else:
        require(actor, Permission.WAITLIST_VIEW_NAMES)
        ids = Group.objects.filter(waitlist_id=wl.pk).filter(
            Q(members__surnames__icontains=q) | Q(members__given_names__icontains=q)
        ).values_list("id", flat=True)[:50]
        qs = qs.filter(id__in=list(ids))
    show_names = has(actor, Permission.WAITLIST_VIEW_NAMES)
    out = []
    for g in qs.prefetch_related("members").order_by("number")[:50]:
        row: dict[str, Any] = {"number": g.number, "size": g.size, "status": g.status,
                               "registered_at": g.registered_at, "called_at": g.called_at,
                               "no_shows": g.no_shows, "removed_reason": g.removed_reason,
                               "possible_duplicate_of": g.possible_duplicate_of_id and
                               Group.objects.get(pk=g.possible_duplicate_of_id).number}
        if show_names:
            row["members"] = [f"{m.given_names} {m.surnames}" for m in g.members.all()]
            row["contact"] = g.contact
            audit.record_read(actor=actor, obj=g, what="waitlist.names")
        out.append(row)
    return out


def called_groups(port: Port | str, day: dt.date | None = None) -> list[Group]:
    wl = waitlist_for_read(port)
    day = day or timezone.now().astimezone(_tz(wl)).date()
    return list(Group.objects.filter(waitlist_id=wl.pk, call__day=day).order_by("number"))
