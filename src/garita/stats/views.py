"""Statistics pages: public case statistics (HTML and CSV), the public waitlist figures,
and the planners' what-if simulation. Thin: parse, call one selector, render."""

from __future__ import annotations

import csv
import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from garita.accounts.permissions import has
from garita.accounts.roles import Permission
from garita.core.errors import DomainError
from garita.stats import charts, domain, selectors, whatif

CHART_MEASURES = (*selectors.TABLE_COUNTS, *domain.RATES)


def _choices(params: Any) -> list[dict[str, Any]]:
    from garita.core.models import Port
    from garita.hearings.models import Court, HearingLocation

    options = {
        "court": [(c.slug, c.name) for c in Court.objects.order_by("name")],
        "location": [(str(h.pk), h.name) for h in HearingLocation.objects.order_by("name")],
        "port": [(p.slug, p.name) for p in Port.objects.order_by("name")],
        "representation": [("yes", _("Represented")), ("no", _("Not represented"))],
        "outcome": [(k, str(v)) for k, v in selectors.OUTCOME_LABELS.items()],
    }
    return [
        {"name": name, "label": selectors.DIMENSION_LABELS[name],
         "options": [(v, t, params.get(name) == v) for v, t in opts]}
        for name, opts in options.items()
    ]


def index(request: HttpRequest) -> HttpResponse:
    params = request.GET
    measure = params.get("measure") or "cases"
    if measure not in CHART_MEASURES:
        measure = "cases"
    try:
        query = selectors.parse_query(params)
    except DomainError as exc:
        return render(request, "stats/index.html", {
            "error": exc.message, "dimensions": selectors.DIMENSION_LABELS, "params": params,
            "choices": _choices(params), "measure": measure, "chart_measures": _measure_labels(),
        }, status=400)
    result = selectors.statistics(query)
    rows, total = selectors.result_records(result)
    base = {k: v for k, v in params.items() if k not in ("group_by",) and v}
    next_dim = selectors.DRILL_NEXT[query.group_by]
    filtered_dims = {d for d, _v in query.filters}
    for rec in rows:
        if rec["key"] and len(query.filters) < domain.MAX_FILTERS \
                and query.group_by not in filtered_dims:
            drill = {**base, query.group_by: rec["key"], "group_by": next_dim}
            rec["drill_url"] = "?" + urlencode(drill)
    chart_items = [(rec["label"], _measure_value(rec, measure)) for rec in rows]
    unit = "%" if measure in domain.RATES else ""
    chart = charts.bar_chart(
        chart_items, unit=unit, chart_id="cases-chart",
        title=_("%(measure)s by %(dimension)s") % {
            "measure": _measure_labels()[measure],
            "dimension": selectors.DIMENSION_LABELS[query.group_by]},
    )
    return render(request, "stats/index.html", {
        "query": query, "rows": rows, "total": total, "result": result, "chart": chart,
        "dimensions": selectors.DIMENSION_LABELS, "params": params, "choices": _choices(params),
        "group_label": selectors.DIMENSION_LABELS[query.group_by], "measure": measure,
        "chart_measures": _measure_labels(), "csv_url": "csv/?" + params.urlencode(),
        "json_url": "/api/v1/stats/cases?" + params.urlencode(),
        "count_labels": [(k, selectors.MEASURE_LABELS[k]) for k in selectors.TABLE_COUNTS],
        "rate_labels": list(selectors.RATE_LABELS.items()),
    })


def _measure_labels() -> dict[str, Any]:
    labels: dict[str, Any] = {k: selectors.MEASURE_LABELS[k] for k in selectors.TABLE_COUNTS}
    labels.update(selectors.RATE_LABELS)
    return labels


def _measure_value(rec: dict[str, Any], measure: str) -> float | None:
    if measure in domain.RATES:
        return rec["rates"][measure]
    return rec["counts"][measure]


def cases_csv(request: HttpRequest) -> HttpResponse:
    try:
        query = selectors.parse_query(request.GET)
    except DomainError as exc:
        return HttpResponse(str(exc.message), status=400, content_type="text/plain")
    result = selectors.statistics(query)
    rows, total = selectors.result_records(result)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="garita-case-statistics.csv"'
    writer = csv.writer(response)
    header = [query.group_by, *selectors.TABLE_COUNTS, *domain.RATES, "avg_days_waiting",
              "avg_days_to_decision"]
    writer.writerow(header)
    for rec in [*rows, {**total, "label": "ALL"}]:
        writer.writerow([
            rec["label"],
            *["suppressed" if rec["counts"][k] is None else rec["counts"][k]
              for k in selectors.TABLE_COUNTS],
            *["" if rec["rates"][k] is None else rec["rates"][k] for k in domain.RATES],
            "" if rec["avg_days_waiting"] is None else rec["avg_days_waiting"],
            "" if rec["avg_days_to_decision"] is None else rec["avg_days_to_decision"],
        ])
    filters = "; ".join(f"{d}={selectors.filter_param(d, v)}" for d, v in query.filters)
    writer.writerow([])
    writer.writerow([f"# filters: {filters or 'none'}; counts of 1-9 people and counts that "
                     "could reveal them are suppressed; other counts are rounded to 5."])
    return response


def waitlist(request: HttpRequest) -> HttpResponse:
    ports = selectors.waitlist_statistics()
    figures = []
    for p in ports:
        chart = None
        if p.available:
            chart = charts.line_chart(
                [(d.isoformat(), w) for d, w, _ in p.series], chart_id=f"wl-{p.port_slug}",
                title=_("People waiting at %(port)s, by day") % {"port": p.port_name},
            )
        figures.append({"port": p, "chart": chart})
    return render(request, "stats/waitlist.html", {"figures": figures})


def what_if(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect(f"/accounts/login/?next={request.path}")
    if not has(request.user, Permission.STATS_VIEW_INTERNAL):
        return render(request, "stats/forbidden.html", status=403)
    try:
        scenario, baseline = whatif.scenario_from_params(request.GET)
    except DomainError as exc:
        return render(request, "stats/what_if.html", {"error": exc.message}, status=400)
    result = whatif.simulate(scenario)
    base_result = whatif.simulate(baseline)
    rows = list(zip(result.months, base_result.months, strict=True))
    chart_wait = charts.line_chart(
        [(m.month.strftime("%Y-%m"), m.waitlist) for m in result.months],
        title=_("People on the waitlist at the end of each month (scenario)"), chart_id="wi-w",
    )
    chart_backlog = charts.line_chart(
        [(m.month.strftime("%Y-%m"), m.backlog) for m in result.months],
        title=_("Pending court cases at the end of each month (scenario)"), chart_id="wi-b",
    )
    return render(request, "stats/what_if.html", {
        "scenario": scenario, "baseline": baseline, "rows": rows, "chart_wait": chart_wait,
        "chart_backlog": chart_backlog, "today": dt.date.today(),
    })
