"""The board's estimate carries the statistics forecast when there is capacity history, and
`persons_ahead` counts the people waiting before a number."""

from __future__ import annotations

import pytest

from garita.waitlist import selectors

pytestmark = pytest.mark.django_db


def test_persons_ahead_counts_people_in_groups_before_the_number(register):
    register(3)
    register(2)
    third = register(4)
    number = third.group.number
    assert selectors.persons_ahead("san-ysidro", number) == 5
    assert selectors.persons_ahead("san-ysidro", 9999) is None


def test_the_estimate_has_no_usual_range_without_history(register):
    first = register(2)
    number = first.group.number
    est = selectors.estimate("san-ysidro", number)
    assert est["usually_low"] is None and est["usually_high"] is None
