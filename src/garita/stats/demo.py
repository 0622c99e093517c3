"""Demo data for stats: nothing of its own; it builds the cube from the seeded cases so the
first statistics page answers at once. Runs last in the seed order."""

from __future__ import annotations

from garita.core.seeding import SeedContext
from garita.stats.services import rebuild_cube


def seed(ctx: SeedContext) -> None:
    state = rebuild_cube()
    ctx.say(f"stats: cube built in {state.build_seconds:.1f} s")
