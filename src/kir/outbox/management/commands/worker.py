"""`kir worker`: deliver the outbox's jobs (e-mail now; webhooks and notifications as they come).

Run one or several beside the web server. SIGTERM or Ctrl-C lets the job in hand finish and hands
back the rest of the batch; `kill -9` loses nothing either: the job in hand comes back when its
lease runs out, to this worker or another.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kir.outbox.worker import work


class Command(BaseCommand):
    help = "Deliver queued e-mails and other side effects from the outbox."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--batch", type=int, default=10, help="jobs claimed at once")
        parser.add_argument(
            "--lease",
            type=float,
            default=settings.OUTBOX_LEASE_SECONDS,
            help="seconds a claim lasts before another worker may take the job",
        )
        parser.add_argument("--poll", type=float, default=1.0, help="seconds between looks")
        parser.add_argument(
            "--drain", action="store_true", help="stop once no job is pending (tests, cron)"
        )
        parser.add_argument("--timeout", type=float, help="stop after this many seconds")
        parser.add_argument("--name", help="worker name recorded on the jobs it claims")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch"] < 1 or options["lease"] <= 0 or options["poll"] <= 0:
            raise CommandError("--batch, --lease and --poll must be positive")
        name = options["name"] or f"{socket.gethostname()}:{os.getpid()}"
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        self.stdout.write(f"worker {name} ready", ending="\n")
        self.stdout.flush()
        done = work(
            worker=name,
            stop=stop,
            batch=options["batch"],
            lease_seconds=options["lease"],
            poll_seconds=options["poll"],
            drain=options["drain"],
            timeout_seconds=options["timeout"],
        )
        self.stdout.write(f"worker {name} stopped after {done} jobs done")
