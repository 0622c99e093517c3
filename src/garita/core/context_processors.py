"""Template context shared by every page (version, the user's role label)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

import garita


def site(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    role = getattr(user, "role", None) if user is not None and user.is_authenticated else None
    return {"garita_version": garita.__version__, "garita_role": role}
