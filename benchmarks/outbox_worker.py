"""E-mail delivery rate of `kir worker` against a plain smtplib loop, on PostgreSQL.

Not part of the test suite. It creates the database `kir_bench_outbox` (dropped at the end),
starts a real SMTP server on 127.0.0.1 (aiosmtpd, in this process), and in the same run:

  - baseline: one smtplib connection sending N messages in a loop (no database at all);
  - worker:   N e-mail jobs queued on the outbox (the manufacturer notice's size), then one
              `kir worker --drain` process delivering them through Django's SMTP backend, with
              its claims, outcomes and a connection per message.

Rates are messages per second between the first and the last message the SMTP server accepted,
so neither Django's start-up nor the queueing counts. Target: the worker at no less than half
the baseline's rate.

    KIR_INSECURE_TEST_KEY=1 .venv/bin/python benchmarks/outbox_worker.py [--messages 2000]
"""

from __future__ import annotations

import argparse
import os
import smtplib
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
ADMIN_URL = os.environ.get("KIR_BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DATABASE = os.environ.get("KIR_BENCH_DATABASE", "kir_bench_outbox")
TEXT = "A possible issue for the Known Issues Register. " * 40  # about 2 KB, as a notice
HTML = f"<!doctype html><p>{TEXT}</p>"


def database(action: str) -> str:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        if action == "create":
            connection.execute(f'CREATE DATABASE "{DATABASE}"')
    return ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgres://") + f"/{DATABASE}"


def rate(times: list[float]) -> float:
    return (len(times) - 1) / (times[-1] - times[0])


def send_loop(host: str, port: int, messages: int) -> None:
    """The baseline, run as its own process (as the worker is), so that it does not share this
    process's interpreter lock with the SMTP server."""
    with smtplib.SMTP(host, port, timeout=30) as smtp:
        for n in range(messages):
            message = EmailMessage()
            message["Subject"], message["From"] = f"Baseline {n}", "register@kir.invalid"
            message["To"] = "ops@example.org"
            message.set_content(TEXT)
            message.add_alternative(HTML, subtype="html")
            smtp.send_message(message)


def baseline(sink, messages: int) -> float:  # type: ignore[no-untyped-def]
    start = len(sink.received)
    code = (
        "import sys; sys.path.insert(0, 'benchmarks'); import outbox_worker; "
        f"outbox_worker.send_loop({sink.host!r}, {sink.port}, {messages})"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=600)
    delivered = sink.received[start:]
    assert len(delivered) == messages, f"the loop delivered {len(delivered)} of {messages}"
    return rate([m.at for m in delivered])


def run_worker(sink, url: str, timeout: float) -> None:  # type: ignore[no-untyped-def]
    """One `kir worker --drain` process sending to `sink`, until the outbox is empty."""
    env = {
        **os.environ,
        "KIR_DATABASE_URL": url,
        "KIR_EMAIL_HOST": sink.host,
        "KIR_EMAIL_PORT": str(sink.port),
        "DJANGO_SETTINGS_MODULE": "kir.settings",
    }
    command = [sys.executable, "-m", "kir.cli", "worker", "--drain", "--timeout", str(timeout)]
    subprocess.run(command, cwd=ROOT, env=env, check=True, timeout=timeout + 60)


def worker(sink, messages: int, url: str, timeout: float) -> float:  # type: ignore[no-untyped-def]
    from django.db import transaction

    from kir.outbox.mail import email_enqueue

    with transaction.atomic():
        for n in range(messages):
            email_enqueue(
                key=f"bench.{n}",
                subject=f"Worker {n}",
                text=TEXT,
                html=HTML,
                to=["ops@example.org"],
            )
    start = len(sink.received)
    run_worker(sink, url, timeout)
    delivered = sink.received[start:]
    assert len(delivered) == messages, f"the worker delivered {len(delivered)} of {messages}"
    return rate([m.at for m in delivered])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    url = database("create")
    os.environ.update(KIR_DATABASE_URL=url, DJANGO_SETTINGS_MODULE="kir.settings")
    os.environ.setdefault("KIR_INSECURE_TEST_KEY", "1")
    import django

    django.setup()
    from django.core.management import call_command

    from tests.mailserver import running_smtp_server

    call_command("migrate", verbosity=0)
    try:
        with running_smtp_server() as sink:
            plain = baseline(sink, args.messages)
            delivered = worker(sink, args.messages, url, args.timeout)
    finally:
        from django.db import connections

        connections.close_all()
        database("drop")
    print(f"messages: {args.messages}")
    print(f"plain smtplib loop: {plain:.0f} messages/s")
    print(f"kir worker:         {delivered:.0f} messages/s ({delivered / plain:.2f}x the loop)")
    print(f"target >= 0.5x: {'met' if delivered / plain >= 0.5 else 'NOT met'}")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
