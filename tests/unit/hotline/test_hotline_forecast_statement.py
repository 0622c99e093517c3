"""The hotline says "usually decided between ..." only for cases still waiting, and only when
the statistics app has a forecast."""

from __future__ import annotations

import datetime as dt

from django.utils import translation

from garita.hotline import domain, render
from tests.unit.hotline.test_hotline_domain import HEARING, NOW, STALE, snap

RANGE = (dt.date(2019, 9, 1), dt.date(2019, 12, 15))


def _keys(s):
    return [st.key for st in domain.statements(s, now=NOW, stale_after=STALE)]


def test_a_waiting_case_with_a_forecast_hears_the_range_after_its_hearing():
    keys = _keys(snap(next_hearing=HEARING, had_hearing=True, decision_forecast=RANGE))
    assert keys[-1] == domain.DECISION_FORECAST
    assert keys.index(domain.NEXT_HEARING) < keys.index(domain.DECISION_FORECAST)


def test_no_forecast_statement_without_a_forecast_or_after_a_decision():
    assert domain.DECISION_FORECAST not in _keys(snap(next_hearing=HEARING, had_hearing=True))
    decided = snap(status="relief_granted", decision_forecast=RANGE)
    assert domain.DECISION_FORECAST not in _keys(decided)
    outside = snap(status="not_amenable", decision_forecast=RANGE)
    assert domain.DECISION_FORECAST not in _keys(outside)


def test_the_forecast_sentence_is_spoken_in_spanish():
    stmts = domain.statements(snap(next_hearing=HEARING, had_hearing=True, decision_forecast=RANGE),
                              now=NOW, stale_after=STALE)
    with translation.override("es"):
        text = render.statement_text(stmts[-1])
    assert text.startswith("Los casos como el suyo suelen decidirse entre")
    assert "2019" in text
