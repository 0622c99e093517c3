"""JSON API for stats (mounted at /api/v1/stats/): public, protected figures only.

Every count here went through the same disclosure control as the pages (hidden = null).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from garita.core.errors import NotFound
from garita.stats import domain, forecasts, selectors

router = Router()


@router.get("/cases", auth=None, summary="Case statistics by one dimension, with filters")
def cases(request: HttpRequest) -> dict[str, Any]:
    """Query parameters: `group_by` (court, location, port, nationality, representation,
    outcome, nta_month, decision_month) and up to three filters named like the dimensions
    (court=<slug>, port=<slug>, location=<id>, nationality=<ISO3>, representation=yes|no,
    outcome=<code>, nta_month=YYYY-MM, decision_month=YYYY-MM). Hidden figures are null."""
    query = selectors.parse_query(request.GET)
    result = selectors.statistics(query)
    rows, total = selectors.result_records(result)
    return {
        "group_by": query.group_by,
        "filters": {d: selectors.filter_param(d, v) for d, v in query.filters},
        "as_of": result.built_at.isoformat() if result.built_at else None,
        "suppressed_query": result.table.suppressed_query,
        "rows": rows,
        "total": total,
        "disclosure": {"threshold": domain.THRESHOLD, "rounding_base": domain.ROUND_BASE},
    }


@router.get("/waitlist", auth=None, summary="Waitlist figures per port")
def waitlist(request: HttpRequest) -> dict[str, Any]:
    out = []
    for p in selectors.waitlist_statistics():
        out.append({
            "port": p.port_slug, "name": p.port_name, "available": p.available,
            "persons_waiting": p.persons_waiting, "processed_per_day": p.processed_per_day,
            "capacity_per_day": p.capacity_per_day, "wait_days": p.wait_days,
        })
    return {"ports": out}


@router.get("/forecast/waitlist", auth=None, summary="When a waitlist number will be called")
def forecast_waitlist(request: HttpRequest, port: str, number: int) -> dict[str, Any]:
    fc = forecasts.forecast_waitlist_number(port, number)
    if fc is None:
        raise NotFound("forecast.unavailable", _("There is not enough history to forecast."))
    return {**fc.as_dict(), "phrase": fc.phrase()}
