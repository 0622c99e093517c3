"""The audit chain's hash is a pure function of the fields and the previous hash."""

from garita.audit.chain import GENESIS, event_hash


def test_hash_changes_when_any_field_or_the_previous_hash_changes():
    fields = {"seq": 1, "action": "case.create", "new": {"a": 1}}
    base = event_hash(fields, GENESIS)
    assert event_hash(dict(fields), GENESIS) == base
    assert event_hash({**fields, "action": "case.update"}, GENESIS) != base
    assert event_hash({**fields, "new": {"a": 2}}, GENESIS) != base
    assert event_hash(fields, "1" * 64) != base


def test_key_order_does_not_matter():
    assert event_hash({"a": 1, "b": {"y": 1, "x": 2}}, GENESIS) == event_hash(
        {"b": {"x": 2, "y": 1}, "a": 1}, GENESIS
    )
