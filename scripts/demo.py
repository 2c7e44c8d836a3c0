"""`make demo`: migrate the SQLite database under var/, seed the demo data, serve on :8000 with
an outbox worker (`kir worker`) beside the server, so queued e-mails go out (to var/mail).

The demo is the product: `kir serve` (gunicorn) with debug off, static files collected and served
by WhiteNoise. Its settings go to var/settings.env, which the settings read when present, so any
`.venv/bin/kir` command run in the checkout afterwards acts on the demo without exporting
anything. A secret key is generated once, so sessions survive restarts. KIR_VAR_DIR moves var/
(database, key, settings, mail) elsewhere and KIR_DEMO_PORT changes the port, so a test can run a
second demo beside a developer's own. The logins are printed last, once the server answers.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = Path(os.environ.get("KIR_VAR_DIR", str(ROOT / "var"))).resolve()
KIR = [sys.executable, "-m", "kir.cli"]
STARTUP_TIMEOUT_SECONDS = 60


def secret_key() -> str:
    key_file = VAR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def demo_settings(port: str) -> dict[str, str]:
    database = os.environ.get("KIR_DATABASE_URL", f"sqlite:///{VAR / 'kir.sqlite3'}")
    return {
        "KIR_VAR_DIR": str(VAR),
        "KIR_SECRET_KEY": secret_key(),
        "KIR_DEBUG": "false",
        "KIR_DEMO": "true",
        # The daily state `kir tracker demo` keeps: DCC may start a run over it from the web.
        "KIR_TRACKER_STATE_DIR": str(VAR / "tracker" / "demo" / "state"),
        "KIR_DATABASE_URL": database,
        # Demo notices go to invented .example addresses: files under var/mail, never a relay.
        "KIR_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "KIR_EMAIL_FILE_PATH": str(VAR / "mail"),
        "KIR_SITE_URL": f"http://127.0.0.1:{port}",
        "KIR_WEB_BIND": f"127.0.0.1:{port}",
        # One line per request would scroll the logins away; production logs them.
        "KIR_REQUEST_LOG_LEVEL": "WARNING",
    }


def write_settings_file(settings: dict[str, str]) -> Path:
    path = VAR / "settings.env"
    lines = ["# Written by `make demo`; the demo's settings for every kir command here."]
    lines += [f"{name}={value}" for name, value in settings.items()]
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    return path


def wait_until_serving(url: str, server: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    return False


def main() -> int:
    VAR.mkdir(parents=True, exist_ok=True)
    port = os.environ.get("KIR_DEMO_PORT", "8000")
    settings = demo_settings(port)
    write_settings_file(settings)
    env = {**os.environ, **settings}
    env.pop("KIR_SETTINGS_FILE", None)
    steps = (
        ["migrate", "--noinput"],
        ["collectstatic", "--noinput", "-v", "0"],
        ["demo", "seed"],
        # Two weeks of daily tracker runs (kir.tracker.demo); skipped when already stored.
        ["tracker", "demo"],
        # The CSAF provider's signing key under var/gnupg, and its directory filled.
        ["csaf", "key", "create", "--if-missing"],
        ["csaf", "rebuild"],
    )
    for step in steps:
        if subprocess.call([*KIR, *step], cwd=ROOT, env=env) != 0:
            print(f"`kir {' '.join(step)}` failed", file=sys.stderr)
            return 1
    server = subprocess.Popen([*KIR, "serve"], cwd=ROOT, env=env)
    worker = subprocess.Popen([*KIR, "worker"], cwd=ROOT, env=env)
    try:
        if not wait_until_serving(f"http://127.0.0.1:{port}/healthz", server):
            print(f"the server did not answer on port {port}", file=sys.stderr)
            server.terminate()
            return 1
        subprocess.call([*KIR, "demo", "logins"], cwd=ROOT, env=env)
        print(
            f"\nKnown Issues Register demo: open http://127.0.0.1:{port}/ (Ctrl-C stops it)\n",
            flush=True,
        )
        return server.wait()
    except KeyboardInterrupt:
        server.terminate()
        server.wait(timeout=30)
        return 0
    finally:
        # SIGTERM lets the worker finish the job in hand; a job it never finishes comes back.
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()


if __name__ == "__main__":
    sys.exit(main())
