"""`kir demo seed`: everything the demo needs, in one transaction, safe to run again."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from kir.web.demo.devices import seed_catalogue
from kir.web.demo.people import seed_people

REGISTER_DEMO_MODULE = "kir.register.demo"


class DemoRefused(Exception):
    pass


@dataclass
class DemoSummary:
    organisations_created: int
    users_created: int
    catalogue: str
    dmcs_created: int
    register: Any


def register_seeder() -> Callable[[], Any] | None:
    """The register's own demo seeder, if that part of the application provides one."""
    try:
        module = importlib.import_module(REGISTER_DEMO_MODULE)
    except ModuleNotFoundError as error:
        # Only the module itself being absent is expected; a broken import inside it is a bug.
        if error.name != REGISTER_DEMO_MODULE:
            raise
        return None
    seeder = getattr(module, "seed_register_demo", None)
    return seeder if callable(seeder) else None


@transaction.atomic
def seed_demo() -> DemoSummary:
    if not settings.KIR_DEMO:
        raise DemoRefused(
            "Refusing to seed demo data: KIR_DEMO is not on. Demo users share one published "
            "password, so they exist only in demo installations (`make demo` sets KIR_DEMO=true)."
        )
    people = seed_people()
    report, dmcs_created = seed_catalogue()
    seeder = register_seeder()
    return DemoSummary(
        organisations_created=people.organisations_created,
        users_created=people.users_created,
        catalogue=report.summary(),
        dmcs_created=dmcs_created,
        register=seeder() if seeder is not None else None,
    )
