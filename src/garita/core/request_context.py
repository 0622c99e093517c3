"""The current request's id, available to the audit log without threading it through calls.

Set by RequestIdMiddleware; CLI commands and workers get a fresh id per command or task.
"""

from __future__ import annotations

import contextvars
import uuid

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "garita_request_id", default=None
)


def new_request_id() -> str:
    return uuid.uuid4().hex


def set_request_id(value: str | None) -> contextvars.Token:
    return _request_id.set(value)


def reset_request_id(token: contextvars.Token) -> None:
    _request_id.reset(token)


def current_request_id() -> str:
    rid = _request_id.get()
    if rid is None:
        rid = new_request_id()
        _request_id.set(rid)
    return rid
