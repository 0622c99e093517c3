"""Garita's URLs plus two empty responses from the same server: /bench/empty through the
pages' middleware (what /status goes through) and /hotline/bench/empty through the webhooks'
(what the IVR steps go through; garita.core.handlers dispatches by path); and
/hotline/bench/floor, the least any look-up has to do (see `floor`)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from garita.config.urls import urlpatterns as garita_urlpatterns


def empty(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"")


def floor(request: HttpRequest) -> HttpResponse:
    """The least work any look-up must do, and nothing else: read the case by its
    A-number (one indexed SELECT on the driver's cursor), compare the PIN (one HMAC), and
    write the success's audit event, durable before the answer (the hotline's own
    `record_unsealed`). No throttle, no signature check, no rendering: a look-up cannot
    be cheaper than this in this application, so its ratio to the empty response bounds
    what the real look-ups can reach (docs/benchmarks.md). Not a Garita URL: bench only.
    """
    from garita.audit.services import record_unsealed
    from garita.core import sql as raw_sql
    from garita.intake.models import Case
    from garita.intake.pins import pin_matches

    a_number = request.GET.get("a", "")
    rows = raw_sql.fetchall(
        f"SELECT id, lookup_pin_digest FROM {Case._meta.db_table} WHERE a_number = %s",
        [a_number])
    if not rows or not pin_matches(a_number, request.POST.get("Digits", ""), rows[0][1]):
        return HttpResponse(b"", status=404)
    record_unsealed(actor="hotline:voice", action="hotline.lookup",
                    object_type="intake.case", object_id=rows[0][0], new={"channel": "voice"})
    return HttpResponse(b"found")


urlpatterns = [path("bench/empty", empty), path("hotline/bench/empty", empty),
               path("hotline/bench/floor", floor), *garita_urlpatterns]
