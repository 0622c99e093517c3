"""Creating staff accounts (audited). Roles are fixed per account; see accounts.roles."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from garita.accounts.models import User
from garita.accounts.roles import Role
from garita.audit import services as audit


@transaction.atomic
def user_create(
    *, actor: Any, username: str, password: str, role: Role, port_slug: str | None = None,
    first_name: str = "", last_name: str = "", **extra: Any,
) -> User:
    from garita.core.models import Port

    port = Port.objects.get(slug=port_slug) if port_slug else None
    user = User(username=username, role=role.value, port=port, first_name=first_name,
                last_name=last_name, **extra)
    user.set_password(password)
    user.is_staff = role == Role.ADMINISTRATOR
    user.is_superuser = role == Role.ADMINISTRATOR
    user.save()
    audit.record(actor=actor, action="user.create", obj=user,
                 new={"username": username, "role": role.value, "port": port_slug})
    return user
