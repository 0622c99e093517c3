"""Domain errors with stable codes.

Every refusal a user can meet is a DomainError whose `code` never changes (clients and
translators rely on it) and whose message is translatable. The API maps them to 4xx JSON.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A refusal with a stable code, a human message and (optionally) the offending field."""

    status: int = 400

    def __init__(
        self,
        code: str,
        message: Any,
        *,
        field: str | None = None,
        status: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.field = field
        self.details = details or {}
        if status is not None:
            self.status = status

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": str(self.message)}
        if self.field:
            out["field"] = self.field
        if self.details:
            out["details"] = self.details
        return out


class ValidationFailed(DomainError):
    """Several field errors at once (forms show each beside its field)."""

    def __init__(self, errors: list[DomainError]) -> None:
        super().__init__("validation.failed", _("Some fields are not valid."), status=400)
        self.errors = errors

    def as_dict(self) -> dict[str, Any]:
        out = super().as_dict()
        out["errors"] = [e.as_dict() for e in self.errors]
        return out


class PermissionDenied(DomainError):
    status = 403

    def __init__(self, message: Any = None, code: str = "permission.denied") -> None:
        super().__init__(code, message or _("You do not have permission to do this."))


class NotFound(DomainError):
    status = 404

    def __init__(self, code: str = "not_found", message: Any = None) -> None:
        super().__init__(code, message or _("Not found."))


class Conflict(DomainError):
    status = 409
