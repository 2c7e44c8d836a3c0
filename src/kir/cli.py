"""The `kir` console script: Django's manage.py with the project's own commands."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kir.settings")
    # `analyse --save`, `daily` and `demo` store runs: they need the database, the full set-up.
    stores = "--save" in sys.argv or sys.argv[2:3] in (["daily"], ["demo"])
    if sys.argv[1:2] == ["tracker"] and not stores:
        # The tracker engine needs no database, apps or secrets: Django's own defaults will do,
        # and skipping the project's set-up saves a third of a second on every run.
        from django.conf import settings

        from kir.tracker.management.commands.tracker import Command

        settings.configure()
        Command().run_from_argv(sys.argv)
        return
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
