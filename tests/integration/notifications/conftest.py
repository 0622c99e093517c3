"""Courts and hearings for the outbox tests: the same fixtures as the hotline's."""

from tests.integration.hotline.conftest import court  # noqa: F401
