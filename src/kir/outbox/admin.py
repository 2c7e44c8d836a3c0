"""The outbox for SECAS administrators: every job with its attempts and last error, read-only;
failed jobs can be retried (through `outbox_retry`, which records who asked)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from kir.accounts.admin_access import ReadOnlyAdmin
from kir.accounts.models import User
from kir.outbox.models import Job
from kir.outbox.services import may_retry_jobs, outbox_retry


def _actor(request: HttpRequest) -> User:
    if not isinstance(request.user, User):
        raise PermissionError("the admin needs a signed-in user")
    return request.user


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "key", "state", "attempts", "available_at", "finished_at")
    list_filter = ("state", "kind")
    search_fields = ("key", "last_error")
    date_hierarchy = "created_at"
    fields = (
        "kind",
        "key",
        "state",
        "attempts",
        "max_attempts",
        "available_at",
        "worker",
        "created_at",
        "finished_at",
        "last_error",
        "payload",
    )
    readonly_fields = fields
    actions = ["retry"]  # type: ignore[assignment]  # ReadOnlyAdmin has none; this one retries

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return may_retry_jobs(_actor(request))

    @admin.action(description="Retry the selected failed jobs", permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        retried = outbox_retry(actor=_actor(request), jobs=queryset)
        skipped = queryset.count() - len(retried)
        self.message_user(request, f"{len(retried)} failed job(s) queued again.", messages.SUCCESS)
        if skipped:
            self.message_user(request, f"{skipped} job(s) not failed were left alone.")
