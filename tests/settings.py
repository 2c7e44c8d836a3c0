"""Settings for the test suite: the production settings with a throwaway key and fast hashing.

The database comes from KIR_DATABASE_URL, which scripts/run_tests.py sets per run (SQLite, then
PostgreSQL), so the same tests prove both backends.
"""

import os

os.environ.setdefault("KIR_INSECURE_TEST_KEY", "1")
os.environ.setdefault("KIR_DATABASE_URL", "sqlite:///var/test-kir.sqlite3")
# A developer's demo writes var/settings.env; the tests never read it.
os.environ.setdefault("KIR_SETTINGS_FILE", "")

from kir.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# The webhook tests' receivers listen on 127.0.0.1; production refuses loopback addresses.
WEBHOOK_ALLOW_LOOPBACK = True
# Static files by their plain names: the hashed manifest exists only after collectstatic, which
# the demo and production run (tests/test_demo_server.py checks the served, hashed files).
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# WhiteNoise warns when its directory is missing; collectstatic has not run for the tests.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405

# A file, not SQLite's in-memory test database, so that the crash tests' child processes (a real
# `kir worker`) can open it; named by process so that two test runs never share one.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(VAR_DIR / f"test-kir-db-{os.getpid()}.sqlite3")  # noqa: F405
    }
