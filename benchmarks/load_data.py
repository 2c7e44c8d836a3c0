"""The load benchmarks' data set: the search benchmark's register in the database `kir_load`.

Generating 20,000 issues takes minutes on the shared machine, so `--reuse-db` keeps the database
between runs and this module writes what the clients need (the user, a token, issue ids, search
terms, procurement lists) beside it in var/bench/load-data.json. A reused database is checked
against that file (same issue count), never trusted blindly.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.register_search import (
    ADMIN_URL,
    prepare,
    procurement_bodies,
    recreate_database,
)

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "kir_load"
PASSWORD = "load-benchmark-password-2026"
SIDECAR = ROOT / "var" / "bench" / "load-data.json"


@dataclass
class LoadData:
    issues: int
    username: str
    token: str
    published_ids: list[str]
    search_terms: list[str]
    procurement_bodies: list[dict[str, Any]]


def database_url(name: str = DATABASE) -> str:
    return ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgres://") + f"/{name}"


def _generate(issues: int) -> LoadData:
    data, token = prepare(issues, 10)
    from kir.accounts.services import user_reset_password
    from kir.register.models import Issue

    user = data.users["supplier"]
    user_reset_password(user=user, actor=None, new_password=PASSWORD)
    published = Issue.objects.filter(state="published").values_list("human_id", flat=True)
    return LoadData(
        issues=data.issues,
        username=user.username,
        token=token,
        published_ids=list(published[:500]),
        search_terms=list(data.search_terms),
        procurement_bodies=procurement_bodies(data, random.Random(11)),
    )


def _reusable(issues: int) -> LoadData | None:
    """The saved data set when the database still holds it, else None."""
    if not SIDECAR.exists():
        return None
    saved = LoadData(**json.loads(SIDECAR.read_text()))
    import django

    django.setup()
    from django.db import DatabaseError

    from kir.register.models import Issue

    try:
        count = Issue.objects.count()
    except DatabaseError:
        return None
    return saved if count == saved.issues == issues else None


def load_data(issues: int, reuse: bool) -> LoadData:
    """Point Django at `kir_load` and fill it, or reuse what an earlier run left there."""
    os.environ.update(KIR_DATABASE_URL=database_url(), DJANGO_SETTINGS_MODULE="kir.settings")
    os.environ.setdefault("KIR_INSECURE_TEST_KEY", "1")
    os.environ["KIR_SETTINGS_FILE"] = ""
    if not reuse or (data := _reusable(issues)) is None:
        recreate_database(DATABASE)
        data = _generate(issues)
        SIDECAR.parent.mkdir(parents=True, exist_ok=True)
        SIDECAR.write_text(json.dumps(asdict(data)))
    from django.core.management import call_command

    # The server serves hashed static names from the manifest this writes.
    call_command("collectstatic", "--noinput", verbosity=0)
    return data
