"""`garita demo_accounts`: one demo account per role, passwords kept in var/ and printed."""

from __future__ import annotations

import json
import secrets
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from garita.accounts.models import User
from garita.accounts.roles import ROLE_LABELS, Role
from garita.accounts.services import user_create
from garita.core.reference import ensure_reference_data

DEMO_NAMES = {
    Role.PORT_OFFICER: ("officer", "Dana", "Reyes"),
    Role.SUPERVISOR: ("supervisor", "Sam", "Ortiz"),
    Role.PORT_DIRECTOR: ("director", "Pat", "Moreno"),
    Role.ASYLUM_OFFICER: ("asylum", "Alex", "Chen"),
    Role.COURT_CLERK: ("clerk", "Robin", "Flores"),
    Role.JUDGE: ("judge", "Lee", "Campos"),
    Role.LEGAL_REPRESENTATIVE: ("lawyer", "Maria", "Santos"),
    Role.SHELTER_STAFF: ("shelter", "Jose", "Ramirez"),
    Role.ANALYST: ("analyst", "Kim", "Vega"),
    Role.ADMINISTRATOR: ("admin", "Ari", "Baker"),
}


class Command(BaseCommand):
    help = "Create (once) and print one demo account per role."

    def handle(self, *args: object, **opts: object) -> None:
        ensure_reference_data()
        path = settings.VAR_DIR / "demo_accounts.json"
        saved: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
        for role, (username, first, last) in DEMO_NAMES.items():
            if not User.objects.filter(username=username).exists():
                password = saved.get(username) or secrets.token_urlsafe(9)
                extra: dict[str, Any] = {}
                if role == Role.SHELTER_STAFF:
                    from garita.intake.models import Shelter

                    shelter = Shelter.objects.order_by("id").first()
                    if shelter:
                        extra["shelter"] = shelter
                if role == Role.LEGAL_REPRESENTATIVE:
                    extra["eoir_id"] = "DEMO123"
                    extra["organization"] = "Al Otro Lado (demo)"
                user_create(actor="demo", username=username, password=password, role=role,
                            port_slug="san-ysidro", first_name=first, last_name=last, **extra)
                saved[username] = password
        _demo_appearances()
        path.write_text(json.dumps(saved, indent=1))
        path.chmod(0o600)
        self.stdout.write("Demo accounts (username / password / role):")
        for role, (username, _, _) in DEMO_NAMES.items():
            self.stdout.write(f"  {username:<11} {saved.get(username, '(set before)'):<14} "
                              f"{ROLE_LABELS[role]}")


def _demo_appearances(count: int = 5) -> None:
    """Give the demo lawyer a few clients (EOIR-28) so their scoped case list is not empty."""
    from django.utils import timezone

    from garita.intake.models import Appearance, Case

    lawyer = User.objects.filter(username="lawyer").first()
    if lawyer is None or Appearance.objects.filter(representative=lawyer).exists():
        return
    cases = Case.objects.filter(person__is_head=True).order_by("id")[:count]
    rows = Appearance.objects.bulk_create(
        [Appearance(case=c, representative=lawyer, filed_at=timezone.now()) for c in cases])
    from garita.audit import services as audit

    audit.record(actor="demo", action="seed.appearances", object_type="intake.appearance",
                 new={"representative": lawyer.pk, "cases": [r.case.a_number for r in rows]})
