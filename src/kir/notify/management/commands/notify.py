"""`kir notify digest`: queue today's daily digests (run it from cron, e.g. at 06:00 daily).

The digest of a day holds the notices from before that day; running it again the same day
queues nothing more, so a cron job may run it as often as it likes.
"""

from __future__ import annotations

import datetime
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kir.notify.digest import digest_send


class Command(BaseCommand):
    help = "Notification tasks for cron: `digest` queues the daily digests."

    def add_arguments(self, parser: ArgumentParser) -> None:
        tasks = parser.add_subparsers(dest="task", required=True)
        digest = tasks.add_parser("digest", help="queue each user's daily digest")
        digest.add_argument("--date", help="the digest's day, YYYY-MM-DD (default: today)")

    def handle(self, *args: Any, **options: Any) -> None:
        day = None
        if options.get("date"):
            try:
                day = datetime.date.fromisoformat(options["date"])
            except ValueError as error:
                raise CommandError(f"--date {options['date']!r}: expected YYYY-MM-DD") from error
        queued = digest_send(day=day)
        self.stdout.write(f"{queued} digest(s) queued on the outbox")
