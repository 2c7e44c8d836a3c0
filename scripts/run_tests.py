"""Run the test suite on SQLite and, when PostgreSQL is reachable, again on PostgreSQL.

KIR_TEST_POSTGRES: "auto" (default) runs PostgreSQL when it answers, "require" fails when it does
not (CI uses this so it can never silently test SQLite only), "skip" runs SQLite only.
Extra arguments are passed to pytest.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("KIR_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/kir")


def postgres_reachable(url: str) -> bool:
    import psycopg

    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    try:
        with psycopg.connect(admin_url.replace("postgres://", "postgresql://"), connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


# Tests that never open a database connection: the second (PostgreSQL) pass would only repeat them.
DATABASE_FREE = [
    "tests/tracker/engine",
    "tests/test_env.py",
    "tests/test_identifiers.py",
    "tests/test_imports.py",
    "tests/test_layout.py",
    # Makes and drops its own PostgreSQL databases; the test database is never used.
    "tests/test_restore_drill.py",
    # Starts its own demo server on its own SQLite file; the test database is never used.
    "tests/test_demo_server.py",
]


def run_pytest(label: str, database_url: str, args: list[str]) -> int:
    print(f"\n=== pytest on {label} ===", flush=True)
    # Two workers (pytest-xdist; each gets its own test database) halve the run on two cores.
    if not any(arg == "-n" or arg.startswith("-n") for arg in args):
        args = ["-n", os.environ.get("KIR_TEST_WORKERS", "2"), *args]
    env = {**os.environ, "KIR_DATABASE_URL": database_url}
    return subprocess.call([sys.executable, "-m", "pytest", *args], cwd=ROOT, env=env)


def main() -> int:
    args = sys.argv[1:]
    mode = os.environ.get("KIR_TEST_POSTGRES", "auto").lower()
    if mode not in {"auto", "require", "skip"}:
        print(f"KIR_TEST_POSTGRES={mode!r}: expected auto, require or skip", file=sys.stderr)
        return 2
    (ROOT / "var").mkdir(exist_ok=True)
    status = run_pytest("SQLite", f"sqlite:///{ROOT / 'var' / 'test-kir.sqlite3'}", args)
    if mode == "skip":
        return status
    if not postgres_reachable(POSTGRES_URL):
        if mode == "require":
            print(f"PostgreSQL is required but not reachable at {POSTGRES_URL}", file=sys.stderr)
            return 1
        print("PostgreSQL not reachable: tested on SQLite only", file=sys.stderr)
        return status
    chose_paths = any(arg.startswith("tests") for arg in args)
    skip_repeats = [] if chose_paths else [f"--ignore={path}" for path in DATABASE_FREE]
    return run_pytest("PostgreSQL", POSTGRES_URL, [*skip_repeats, *args]) or status


if __name__ == "__main__":
    sys.exit(main())
