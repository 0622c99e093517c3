"""The waitlist position check by SMS: `LIST <port> <number> <PIN>` (LISTA/TURNO, FILA, LIS).

The same answer as the web position check (/waitlist/<port>/position/): number, persons,
status, groups and persons ahead, the estimated date range, plus the numbers called today.
The PIN is checked by `garita.waitlist.services.check_pin`, the web's own check, with the
sender's phone as the client, so wrong PINs are throttled and slowed down exactly as on the
web. Never a name. Every problem (no such port, a wrong PIN or number, a malformed message,
a throttle) is a helpful reply in the sender's language, never an error.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext as _

from garita.core.errors import DomainError
from garita.core.models import Port
from garita.hotline.domain import fit_sms

MAX_TODAY = 40  # numbers called today listed in one reply (then "...")


@dataclass(frozen=True)
class WaitlistQuery:
    port: str  # as typed ("" when left out)
    number: str
    pin: str


def parse_waitlist_query(rest: str) -> WaitlistQuery | None:
    """`[port words] <number> <PIN>` after the keyword; None if not that shape (pure)."""
    tokens = rest.replace(",", " ").split()
    if len(tokens) < 2 or not tokens[-1].isdigit() or not tokens[-2].isdigit():
        return None
    if not tokens[-1].isascii() or not tokens[-2].isascii():
        return None
    if len(tokens[-2]) > 9 or len(tokens[-1]) > 12:
        return None
    return WaitlistQuery(" ".join(tokens[:-2]), tokens[-2].lstrip("0") or "0", tokens[-1])


def _fold(text: str) -> str:
    base = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in base if c.isalnum() and not unicodedata.combining(c))


def _ports_with_waitlist() -> list[Port]:
    return list(Port.objects.filter(waitlist__isnull=False, active=True).order_by("slug"))


def resolve_port(typed: str) -> Port | None:
    """A port by slug or name, ignoring case, accents, spaces and hyphens; when nothing was
    typed and only one port has a waitlist, that one."""
    ports = _ports_with_waitlist()
    if not typed:
        return ports[0] if len(ports) == 1 else None
    key = _fold(typed)
    for p in ports:
        if key in (_fold(p.slug), _fold(p.name)):
            return p
    return None


def _syntax() -> str:
    return _("Send LIST, the port, your number and your PIN, for example: "
             "LIST %(port)s 1234 123456.") % {"port": _example_port()}


def _example_port() -> str:
    ports = _ports_with_waitlist()
    return ports[0].slug if ports else "san-ysidro"


def _ranges(numbers: list[int]) -> str:
    """[3, 4, 5, 9] -> '3-5, 9' (pure)."""
    out: list[str] = []
    start = prev = None
    for n in sorted(numbers):
        if start is None:
            start = prev = n
        elif n == prev + 1:  # type: ignore[operator]
            prev = n
        else:
            out.append(f"{start}-{prev}" if prev != start else str(start))
            start = prev = n
    if start is not None:
        out.append(f"{start}-{prev}" if prev != start else str(start))
    return ", ".join(out)


def waitlist_reply(rest: str, phone: str) -> str:
    """The reply to `LIST ...`, in the active language (the caller sets it)."""
    from garita.waitlist import selectors, services

    q = parse_waitlist_query(rest)
    if q is None:
        return fit_sms(_syntax())
    port = resolve_port(q.port)
    if port is None:
        if q.port:
            text = _("There is no waitlist at a port called \"%(port)s\".") % {
                "port": q.port[:30]}
        else:
            text = _("Say which port.")
        names = ", ".join(p.slug for p in _ports_with_waitlist())
        if names:
            text += " " + _("Ports: %(ports)s.") % {"ports": names}
        return fit_sms(text + " " + _syntax())
    try:
        services.check_pin(port=port, number=int(q.number), pin=q.pin,
                           client=f"sms:{phone or 'anonymous'}")
        est = selectors.estimate(port, int(q.number))
        today = [g.number for g in selectors.called_groups(port)]
    except DomainError as exc:
        return fit_sms(str(exc.message))
    return fit_sms(answer_text(port.name, est, today))


def answer_text(port_name: str, est: dict, today: list[int]) -> str:
    """The words of a successful check (pure apart from gettext)."""
    parts = [_("Waitlist at %(port)s: number %(number)s (%(size)s persons).") % {
        "port": port_name, "number": est["number"], "size": est["size"]}]
    status = est["status"]
    if status == "waiting":
        parts.append(_("Waiting: %(groups)s groups (%(persons)s persons) ahead.") % {
            "groups": est["groups_ahead"], "persons": est["persons_ahead"]})
        if est.get("earliest"):
            parts.append(_("Estimated call between %(a)s and %(b)s, if the port keeps its "
                           "recent pace.") % {"a": est["earliest"], "b": est["latest"]})
        else:
            parts.append(_("No estimate: the port has not called anyone in the last two "
                           "weeks."))
    elif status == "called":
        parts.append(_("CALLED: present yourself at the port now."))
    elif status == "present":
        parts.append(_("This group presented at the port."))
    else:
        parts.append(_("This number is no longer on the list."))
    if today:
        shown = _ranges(today[:MAX_TODAY]) + ("..." if len(today) > MAX_TODAY else "")
        parts.append(_("Called today: %(numbers)s.") % {"numbers": shown})
    else:
        parts.append(_("No numbers called today yet."))
    return " ".join(parts)
