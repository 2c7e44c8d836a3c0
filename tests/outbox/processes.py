"""`kir worker` and other `kir` code as real child processes on the test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from django.db import connection

from tests.mailserver import SmtpSink

ROOT = Path(__file__).resolve().parent.parent.parent


def database_url_for_children() -> str:
    """The database this test runs on (pytest-django's test database), as KIR_DATABASE_URL."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(db["NAME"])
        assert "memory" not in name, "a child process cannot share an in-memory database"
        return f"sqlite:///{name}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def child_environment(sink: SmtpSink | None) -> dict[str, str]:
    env = {
        **os.environ,
        "KIR_INSECURE_TEST_KEY": "1",
        "KIR_DATABASE_URL": database_url_for_children(),
        "KIR_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    }
    if sink is not None:
        env.update(KIR_EMAIL_HOST=sink.host, KIR_EMAIL_PORT=str(sink.port), KIR_EMAIL_TIMEOUT="20")
    env["DJANGO_SETTINGS_MODULE"] = "kir.settings"  # the real settings, not the tests'
    return env


@dataclass
class Child:
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def output(self) -> str:
        return self.log.read_text()

    def wait_for_output(self, text: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            assert self.process.poll() is None, f"exited {self.process.returncode}: {self.output}"
            assert time.monotonic() < deadline, f"no {text!r} within {timeout}s: {self.output}"
            time.sleep(0.05)

    def wait(self, timeout: float) -> int:
        return self.process.wait(timeout=timeout)

    def kill9(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=15)


class Children:
    """Starts children; kills any still running when the test ends."""

    def __init__(self, directory: Path, sink: SmtpSink | None) -> None:
        self.directory = directory
        self.sink = sink
        self.started: list[Child] = []

    def start(self, label: str, argv: list[str]) -> Child:
        log = self.directory / f"{label}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=child_environment(self.sink),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        child = Child(process, log)
        self.started.append(child)
        return child

    def worker(self, name: str, *options: str) -> Child:
        argv = [sys.executable, "-m", "kir.cli", "worker", "--name", name, "--timeout", "90"]
        return self.start(name, [*argv, *options])

    def python(self, label: str, code: str) -> Child:
        return self.start(label, [sys.executable, "-c", code])

    def stop_all(self) -> None:
        for child in self.started:
            if child.process.poll() is None:
                child.kill9()
