"""`make demo`: migrate the SQLite database under var/, seed the demo data, serve on :8000.

Generates a secret key once under var/ so sessions survive restarts; demo settings only.
KIR_VAR_DIR moves var/ (the database and key) elsewhere and KIR_DEMO_PORT changes the port, so a
test can run a second demo beside a developer's own.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = Path(os.environ.get("KIR_VAR_DIR", str(ROOT / "var"))).resolve()
KIR = [sys.executable, "-m", "kir.cli"]


def demo_environment() -> dict[str, str]:
    VAR.mkdir(parents=True, exist_ok=True)
    key_file = VAR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return {
        **os.environ,
        "KIR_VAR_DIR": str(VAR),
        "KIR_SECRET_KEY": key_file.read_text().strip(),
        "KIR_DEBUG": os.environ.get("KIR_DEBUG", "true"),
        "KIR_DEMO": "true",
        "KIR_DATABASE_URL": os.environ.get("KIR_DATABASE_URL", f"sqlite:///{VAR / 'kir.sqlite3'}"),
        "KIR_EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
    }


def main() -> int:
    env = demo_environment()
    port = os.environ.get("KIR_DEMO_PORT", "8000")
    for step in (["migrate", "--noinput"], ["demo", "seed"]):
        if subprocess.call([*KIR, *step], cwd=ROOT, env=env) != 0:
            print(f"`kir {' '.join(step)}` failed", file=sys.stderr)
            return 1
    print(
        f"\nKnown Issues Register demo: open http://127.0.0.1:{port}/ (Ctrl-C stops it)\n",
        flush=True,
    )
    try:
        return subprocess.call(
            [*KIR, "runserver", "--noreload", f"127.0.0.1:{port}"], cwd=ROOT, env=env
        )
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
