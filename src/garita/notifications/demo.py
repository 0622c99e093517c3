"""Demo data for notifications: plan the reminders that are due now (the worker sends them)."""

from __future__ import annotations

from garita.core.seeding import SeedContext


def seed(ctx: SeedContext) -> None:
    from garita.notifications.services import plan_reminders

    queued = plan_reminders()
    ctx.say(f"notifications: {queued} reminders queued; `garita worker` sends them to "
            "var/outbox/ (file backend)")
