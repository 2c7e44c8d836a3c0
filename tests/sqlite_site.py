"""A site on its own SQLite file for tests that run `kir` as real processes against it."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path


def site_environment(folder: Path, **extra: str) -> dict[str, str]:
    """The environment of a `kir` child using folder/kir.sqlite3 and the real settings."""
    return {
        **os.environ,
        "KIR_DATABASE_URL": f"sqlite:///{folder / 'kir.sqlite3'}",
        "KIR_SETTINGS_FILE": "",
        "KIR_INSECURE_TEST_KEY": "1",
        "KIR_VAR_DIR": str(folder),
        "DJANGO_SETTINGS_MODULE": "kir.settings",
        "KIR_ALLOWED_HOSTS": "testserver",
        **extra,
    }


def write_locked(database: Path) -> bool:
    """Whether another connection holds the database's write lock now (never waits)."""
    probe = sqlite3.connect(database, timeout=0)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.rollback()
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        probe.close()
