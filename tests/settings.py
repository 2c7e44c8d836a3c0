"""Settings for the test suite: the production settings with a throwaway key and fast hashing.

The database comes from KIR_DATABASE_URL, which scripts/run_tests.py sets per run (SQLite, then
PostgreSQL), so the same tests prove both backends.
"""

import os

os.environ.setdefault("KIR_INSECURE_TEST_KEY", "1")
os.environ.setdefault("KIR_DATABASE_URL", "sqlite:///var/test-kir.sqlite3")

from kir.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
