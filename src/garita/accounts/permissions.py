"""Permission checks for services: `require(actor, Permission.X)` raises PermissionDenied.

Services call this first, so a rule holds whether the request came from a page, the API,
the CLI or a test. Case-level scoping (representatives, shelters) is in intake.selectors.
"""

from __future__ import annotations

from typing import Any

from garita.accounts.roles import Permission, allowed
from garita.core.errors import PermissionDenied


def has(actor: Any, perm: Permission) -> bool:
    return bool(
        actor is not None
        and getattr(actor, "is_authenticated", False)
        and getattr(actor, "is_active", True)
        and allowed(getattr(actor, "role", None), perm)
    )


def require(actor: Any, perm: Permission) -> None:
    if not has(actor, perm):
        raise PermissionDenied()
