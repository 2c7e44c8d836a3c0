"""`kir serve`: the register on gunicorn, the production server, with threaded workers.

Workers, threads and timeout come from settings (KIR_WEB_WORKERS, KIR_WEB_THREADS,
KIR_WEB_TIMEOUT); the address from KIR_WEB_BIND or `--bind`. Requests are logged by the
application (kir.web.middleware), so gunicorn's own access log stays off.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.options.items():
            self.cfg.set(name, value)

    def load(self) -> Any:
        from kir.wsgi import application

        return application


class Command(BaseCommand):
    help = "Serve the register on the production server (gunicorn)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=settings.WEB_BIND, help="host:port to listen on")
        parser.add_argument("--workers", type=int, default=settings.WEB_WORKERS)
        parser.add_argument("--threads", type=int, default=settings.WEB_THREADS)

    def handle(self, *args: Any, **options: Any) -> None:
        _Gunicorn(
            {
                "bind": options["bind"],
                "workers": options["workers"],
                "threads": options["threads"],
                "worker_class": "gthread",
                "timeout": settings.WEB_TIMEOUT_SECONDS,
                "graceful_timeout": settings.WEB_TIMEOUT_SECONDS,
                "accesslog": None,
                "errorlog": "-",
                "loglevel": "warning",
                # A worker that has served this many requests is replaced, so a slow leak in
                # any library cannot grow without bound.
                "max_requests": 5000,
                "max_requests_jitter": 500,
            }
        ).run()
