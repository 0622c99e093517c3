"""Views of the waitlist: thin. Public ones show numbers only; staff ones call services.

Domain errors become the same page with the message and a 4xx status.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from garita.accounts.permissions import has, require
from garita.accounts.roles import Permission
from garita.core.errors import DomainError
from garita.core.models import Port
from garita.waitlist import keys, merkle, selectors, services
from garita.waitlist import log as wlog
from garita.waitlist.services import MemberIn

TEXT = "text/plain; charset=utf-8"


def _client(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _error_json(exc: DomainError) -> JsonResponse:
    return JsonResponse(exc.as_dict(), status=exc.status)


# --- public ---------------------------------------------------------------------------


@cache_control(max_age=30, public=True)
def board(request: HttpRequest, port: str) -> HttpResponse:
    try:
        data = selectors.board(port)
    except DomainError as exc:
        return render(request, "waitlist/error.html", {"error": exc}, status=exc.status)
    ctx: dict[str, Any] = {"b": data}
    number = request.GET.get("number", "").strip()
    if number:
        if not number.isdigit():
            ctx["lookup_error"] = _("Write the number only, for example 1234.")
        else:
            try:
                ctx["est"] = selectors.estimate(port, int(number))
            except DomainError as exc:
                ctx["lookup_error"] = exc.message
    return render(request, "waitlist/board.html", ctx)


@cache_control(max_age=30, public=True)
def board_json(request: HttpRequest, port: str) -> JsonResponse:
    try:
        data = selectors.board(port)
        number = request.GET.get("number", "").strip()
        if number.isdigit():
            data["estimate"] = selectors.estimate(port, int(number))
    except DomainError as exc:
        return _error_json(exc)
    return JsonResponse(data)


def position(request: HttpRequest, port: str) -> HttpResponse:
    try:
        wl = selectors.waitlist_for_read(port)
    except DomainError as exc:
        return render(request, "waitlist/error.html", {"error": exc}, status=exc.status)
    ctx: dict[str, Any] = {"port": wl.port}
    status = 200
    if request.method == "POST":
        number = request.POST.get("number", "").strip()
        pin = request.POST.get("pin", "").strip()
        ctx["number"] = number
        try:
            if not number.isdigit():
                raise DomainError("waitlist.unknown_number",
                                  _("Write the number only, for example 1234."), field="number")
            services.check_pin(port=wl.port, number=int(number), pin=pin,
                               client=_client(request))
            ctx["est"] = selectors.estimate(wl.port, int(number))
        except DomainError as exc:
            ctx["error"] = exc
            status = exc.status
    return render(request, "waitlist/position.html", ctx, status=status)


def _no_log() -> JsonResponse:
    return JsonResponse({"code": "waitlist.no_log",
                         "message": _("This port's log has no entries yet.")}, status=404)


def log_checkpoint(request: HttpRequest, port: str) -> HttpResponse:
    """The current signed checkpoint; a GET signs in memory and stores nothing."""
    try:
        text = wlog.checkpoint_note(selectors.waitlist_for_read(port))
    except DomainError as exc:
        return _error_json(exc)
    except keys.NoKey:
        return _no_log()
    resp = HttpResponse(text, content_type=TEXT)
    resp["Cache-Control"] = "no-store"
    return resp


def log_key(request: HttpRequest, port: str) -> HttpResponse:
    try:
        wl = selectors.waitlist_for_read(port)
        vkey = keys.public_verifier_key(wl.port.slug, create=False)
    except DomainError as exc:
        return _error_json(exc)
    except keys.NoKey:
        return _no_log()
    return HttpResponse(vkey + "\n", content_type=TEXT)


def log_tile(request: HttpRequest, port: str, rest: str) -> HttpResponse:
    """tlog-tiles: tile/<L>/<N>[.p/<W>] and tile/entries/<N>[.p/<W>]."""
    try:
        wl = selectors.waitlist_for_read(port)
    except DomainError as exc:
        return _error_json(exc)
    not_found = JsonResponse({"code": "waitlist.no_tile", "message": _("No such tile.")},
                             status=404)
    level_text, _sep, tail = rest.partition("/")
    width = merkle.TILE_WIDTH
    if ".p/" in tail:
        tail, _sep, w = tail.partition(".p/")
        if not w.isdigit() or not 1 <= int(w) < merkle.TILE_WIDTH or w != str(int(w)):
            return not_found
        width = int(w)
    try:
        index = merkle.parse_tile_index(tail)
    except ValueError:
        return not_found
    if level_text == "entries":
        start = index * merkle.TILE_WIDTH
        if start + width > wl.log_size:
            return not_found
        body = merkle.entry_bundle(wlog.entries(wl, start, width))
    elif level_text.isdigit() and len(level_text) <= 2:
        hashes = wlog.get_tile(wl.pk, int(level_text), index)
        if len(hashes) < width:
            return not_found
        body = b"".join(hashes[:width])
    else:
        return not_found
    resp = HttpResponse(body, content_type="application/octet-stream")
    if width == merkle.TILE_WIDTH:
        resp["Cache-Control"] = "public, max-age=31536000, immutable"
    return resp


# --- staff ----------------------------------------------------------------------------


def _staff_ctx(request: HttpRequest, port: str) -> dict[str, Any]:
    wl = selectors.waitlist_for_read(port)
    return {"wl": wl, "port": wl.port, "b": selectors.board(wl.port),
            "called": selectors.called_groups(wl.port),
            "can_operate": has(request.user, Permission.WAITLIST_OPERATE),
            "can_register": has(request.user, Permission.WAITLIST_REGISTER),
            "can_names": has(request.user, Permission.WAITLIST_VIEW_NAMES),
            "reasons": services.REMOVAL_REASONS}


@login_required
def staff_index(request: HttpRequest) -> HttpResponse:
    return render(request, "waitlist/staff_index.html",
                  {"ports": Port.objects.filter(active=True)})


@login_required
def staff_port(request: HttpRequest, port: str) -> HttpResponse:
    try:
        ctx = _staff_ctx(request, port)
        q = request.GET.get("q", "").strip()
        if q:
            ctx["q"] = q
            ctx["results"] = selectors.search(actor=request.user, port=port, query=q)
    except DomainError as exc:
        return render(request, "waitlist/error.html", {"error": exc}, status=exc.status)
    return render(request, "waitlist/staff_port.html", ctx)


def _back(request: HttpRequest, port: str, exc: DomainError | None = None) -> HttpResponse:
    if exc is not None:
        ctx = _staff_ctx(request, port)
        ctx["error"] = exc
        return render(request, "waitlist/staff_port.html", ctx, status=exc.status)
    return redirect("waitlist:staff_port", port=port)


@login_required
@require_POST
def staff_register(request: HttpRequest, port: str) -> HttpResponse:
    p = request.POST
    members = []
    for i in range(30):
        given, sur = p.get(f"given_{i}", "").strip(), p.get(f"surname_{i}", "").strip()
        if not given and not sur:
            continue
        dob_text = p.get(f"dob_{i}", "").strip()
        try:
            dob = dt.date.fromisoformat(dob_text) if dob_text else None
        except ValueError:
            return _back(request, port, DomainError("waitlist.bad_date",
                                                    _("Write dates as YYYY-MM-DD.")))
        members.append(MemberIn(given, sur, p.get(f"nationality_{i}", "").strip(), dob,
                                tuple(x.strip() for x in p.get(f"languages_{i}", "").split(",")
                                      if x.strip())))
    try:
        reg = services.register_group(actor=request.user, port=port, members=members,
                                      contact=p.get("contact", ""),
                                      sms_consent=p.get("sms_consent") == "1",
                                      allow_duplicate=p.get("allow_duplicate") == "1")
    except DomainError as exc:
        return _back(request, port, exc)
    ctx = _staff_ctx(request, port)
    ctx["slip"] = reg
    return render(request, "waitlist/slip.html", ctx)


@login_required
@require_POST
def staff_capacity(request: HttpRequest, port: str) -> HttpResponse:
    text = request.POST.get("persons", "").strip()
    try:
        # Refuse before checking the form: no form errors for a role that may not act.
        require(request.user, Permission.WAITLIST_OPERATE)
        if not text.lstrip("-").isdigit():
            raise DomainError("waitlist.bad_capacity",
                              _("Capacity is a number of persons, zero or more."))
        services.set_capacity(actor=request.user, port=port, persons=int(text))
    except DomainError as exc:
        return _back(request, port, exc)
    messages.success(request, _("Capacity saved."))
    return _back(request, port)


@login_required
@require_POST
def staff_call(request: HttpRequest, port: str) -> HttpResponse:
    try:
        call = services.call_next(actor=request.user, port=port)
    except DomainError as exc:
        return _back(request, port, exc)
    messages.success(request, _("Called %(groups)s groups (%(persons)s persons).")
                     % {"groups": call.groups_count, "persons": call.persons})
    return _back(request, port)


@login_required
@require_POST
def staff_presence(request: HttpRequest, port: str) -> HttpResponse:
    number = request.POST.get("number", "")
    try:
        # Refuse before checking the form: no form errors for a role that may not act.
        require(request.user, Permission.WAITLIST_OPERATE)
        if not number.isdigit():
            raise DomainError("waitlist.unknown_number", _("There is no group with that number."))
        if request.POST.get("action") == "present":
            services.mark_present(actor=request.user, port=port, number=int(number))
        else:
            services.mark_no_show(actor=request.user, port=port, number=int(number))
    except DomainError as exc:
        return _back(request, port, exc)
    return _back(request, port)


@login_required
@require_POST
def staff_remove(request: HttpRequest, port: str) -> HttpResponse:
    number = request.POST.get("number", "")
    try:
        # Refuse before checking the form: no form errors for a role that may not act.
        require(request.user, Permission.WAITLIST_OPERATE)
        if not number.isdigit():
            raise DomainError("waitlist.unknown_number", _("There is no group with that number."))
        services.remove_group(actor=request.user, port=port, number=int(number),
                              reason=request.POST.get("reason", ""),
                              note=request.POST.get("note", ""))
    except DomainError as exc:
        return _back(request, port, exc)
    return _back(request, port)


@login_required
@require_POST
def staff_settings(request: HttpRequest, port: str) -> HttpResponse:
    grace = request.POST.get("grace_minutes", "").strip()
    try:
        if grace and not grace.isdigit():
            raise DomainError("waitlist.bad_grace", _("The grace period is 1 to 240 minutes."))
        services.set_settings(actor=request.user, port=port,
                              is_open=request.POST.get("is_open") == "1",
                              policy=request.POST.get("policy") or None,
                              grace_minutes=int(grace) if grace else None)
    except DomainError as exc:
        return _back(request, port, exc)
    messages.success(request, _("Settings saved."))
    return _back(request, port)


@login_required
@require_POST
def staff_draw(request: HttpRequest, port: str) -> HttpResponse:
    """Open a request window for tomorrow's draw (hours from now), or reveal its seed."""
    try:
        if request.POST.get("action") == "reveal":
            rnd = services.draw_reveal(actor=request.user, port=port)
            messages.success(request, _("Seed revealed: %(seed)s") % {"seed": rnd.seed_hex})
        else:
            hours = request.POST.get("hours", "23").strip()
            if not hours.isdigit() or not 1 <= int(hours) <= 72:
                raise DomainError("waitlist.bad_window",
                                  _("The window must close in the future."), field="hours")
            from django.utils import timezone

            rnd = services.draw_commit(actor=request.user, port=port,
                                       closes_at=timezone.now() + dt.timedelta(hours=int(hours)))
            messages.success(request, _("Seed committed: SHA-256 %(hash)s")
                             % {"hash": rnd.seed_hash})
    except DomainError as exc:
        return _back(request, port, exc)
    return _back(request, port)
