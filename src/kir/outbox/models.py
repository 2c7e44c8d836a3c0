"""The outbox: one row per side effect, written in the transaction of the change that causes it.

A row is claimed by a worker for a lease (`available_at` moves to the end of the lease), so a
worker that dies mid-job leaves a row that becomes claimable again when its lease runs out. Only a
worker holding the row's current `lease_token` may finish it.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class JobState(models.TextChoices):
    PENDING = "pending", "pending"
    DONE = "done", "done"
    FAILED = "failed", "failed"


class Job(models.Model):
    kind = models.CharField(max_length=40)
    # One delivery, one key: enqueueing the same key twice keeps the first row, and the key
    # travels with the delivery (Message-ID, webhook-id) so a receiver can drop a repeat.
    key = models.CharField(max_length=200, unique=True)
    payload = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=JobState.choices, default=JobState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField()
    # Pending: due at this time (first run, a retry's backoff, or the end of a lease).
    available_at = models.DateTimeField()
    lease_token = models.CharField(max_length=32, blank=True)
    worker = models.CharField(max_length=100, blank=True, help_text="the last worker to claim it")
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            # Workers read only due pending rows; done rows pile up and must not slow the claim.
            models.Index(
                fields=["available_at", "id"],
                condition=Q(state="pending"),
                name="outbox_job_due",
            ),
            models.Index(fields=["state", "kind"], name="outbox_job_state_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} ({self.state})"
