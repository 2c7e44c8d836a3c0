"""Handlers the worker tests register under their own kinds (real code the worker imports by
dotted path, as it imports the production handlers)."""

from __future__ import annotations

from kir.outbox.handlers import PermanentFailure
from kir.outbox.models import Job

RAN: list[str] = []


def record(job: Job) -> None:
    RAN.append(job.key)


def fail(job: Job) -> None:
    raise ConnectionRefusedError(f"receiver down for {job.key}")


def refuse(job: Job) -> None:
    raise PermanentFailure(f"receiver refused {job.key} for good")
