"""The `garita` command: Django's management commands under one name.

`garita serve`, `garita seed`, `garita screen`, `garita audit verify`, `garita waitlist ...`,
`garita hearings ...`, `garita worker` and every Django command (`garita migrate`).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "garita.config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["garita", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
