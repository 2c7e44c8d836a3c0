"""Personal tokens keep working on SQLite while a long CPL import holds the write lock in
another process (issue 16 row 9, the token part): the last-used time is skipped, never waited
for or failed on. Real processes on a real database file, bounded in rows and time."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.catalogue.cplfiles import write_many
from tests.sqlite_site import site_environment, write_locked

pytestmark = [pytest.mark.slow]

KIR = Path(sys.executable).with_name("kir")
# Enough rows that the import holds the lock for several seconds on a busy machine.
IMPORT_ROWS = 20_000  # the import writes in one short transaction at its end

DRIVER = """
import json, time
from django.test import Client
from kir.accounts.models import Organisation, User
from kir.accounts.services import token_create
user = User.objects.get(username="driver")
secret = open("{secret_file}").read()
client = Client(HTTP_AUTHORIZATION="Bearer " + secret)
# Warm up untimed: the first request loads the URLconf, the API and the middleware, which on a
# busy machine alone has taken 2 s; the timed requests measure waiting on the lock.
client.get("/healthz")
results = []
for _ in range(5):
    started = time.monotonic()
    response = client.get("/api/me")
    results.append((response.status_code, round(time.monotonic() - started, 2)))
print(json.dumps(results))
"""

SETUP = """
from kir.accounts.models import Organisation, PartyCategory, Role, User
from kir.accounts.services import token_create
organisation = Organisation.objects.create(name="Supplier", category=PartyCategory.LARGE_SUPPLIER)
user = User.objects.create(username="driver", organisation=organisation, role=Role.VIEWER)
_, secret = token_create(user=user, name="driver", expires_in_days=1)
open("{secret_file}", "w").write(secret)
"""


def test_tokens_work_while_an_import_holds_the_write_lock(tmp_path):
    database = tmp_path / "kir.sqlite3"
    # The waiting a request may do for the last-used write alone would be this long.
    env = site_environment(tmp_path, KIR_SQLITE_BUSY_SECONDS="5")
    run = {"env": env, "check": False, "timeout": 120, "capture_output": True, "text": True}
    subprocess.run([KIR, "migrate", "-v0"], **run)
    secret_file = tmp_path / "secret"
    subprocess.run([KIR, "shell", "-c", SETUP.format(secret_file=secret_file)], **run)
    write_many(tmp_path / "cpl.csv", IMPORT_ROWS)
    importer = subprocess.Popen(
        [KIR, "catalogue", "import-cpl", str(tmp_path / "cpl.csv")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not write_locked(database):
            assert importer.poll() is None and time.monotonic() < deadline, "import never wrote"
            time.sleep(0.05)
        driver = subprocess.run([KIR, "shell", "-c", DRIVER.format(secret_file=secret_file)], **run)
        still_importing = importer.poll() is None
        assert driver.returncode == 0, driver.stderr[-3000:]
    finally:
        out, err = importer.communicate(timeout=120)
    assert importer.returncode == 0, err
    assert f"{IMPORT_ROWS} created" in out
    assert still_importing, "the import ended before the requests: make IMPORT_ROWS larger"
    results = [tuple(r) for r in __import__("json").loads(driver.stdout.strip().splitlines()[-1])]
    assert [status for status, _ in results] == [200] * 5
    # None waited for the lock (the busy timeout is 5 s).
    assert max(seconds for _, seconds in results) < 2, results
