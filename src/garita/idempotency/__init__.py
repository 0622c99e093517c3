"""Idempotency-Key for the JSON API's writes: a retried write answers as the first one did.

Keeps: one record per (user, key); a write runs at most once per key within the retention
window, and its stored answer is committed in the same transaction as the write itself.
"""
