"""Fix verified by telemetry, kept as rows: the worker recomputes an issue's checks when a run is
stored or the issue's first fixed firmware changes, and pages read the rows (page_data).

Counting upgraded installations reads a run's kept inventory with DuckDB, which the web app never
does in a request; it also means the figures stay on the page after the run's files are gone.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from kir.outbox.models import Job
from kir.outbox.services import outbox_enqueue
from kir.register.models import Issue
from kir.tracker.fix_check import fix_checks_for_issue
from kir.tracker.models import FindingIssueLink, FixCheckResult, TrackerRun

KIND = "tracker_fix_checks"


def fix_checks_queue(*, issue_ids: Iterable[int], cause: str) -> None:
    """Queue one recomputation per issue, inside the caller's transaction; `cause` makes the key
    (a run, an issue version), so a repeated cause is queued once."""
    for pk in sorted(set(issue_ids)):
        outbox_enqueue(kind=KIND, key=f"{KIND}:{pk}:{cause}", payload={"issue": pk})


def fix_checks_queue_for_run(run: TrackerRun) -> None:
    """A stored run may change the verdict of every issue linked to an earlier finding whose
    affected products name a first fixed firmware."""
    ids = (
        FindingIssueLink.objects.filter(
            finding__run_id__lte=run.pk, issue__products__first_fixed_firmware__gt=""
        )
        .values_list("issue_id", flat=True)
        .distinct()
    )
    fix_checks_queue(issue_ids=list(ids), cause=f"run-{run.pk}")


def fix_checks_refresh(*, issue: Issue) -> list[FixCheckResult]:
    """Compute the issue's checks now and replace its stored rows with them.

    The count runs outside the transaction (it may take a while and needs no lock); the rows are
    swapped in one short transaction, so a page sees the old set or the new one, never a mix.
    """
    checks = fix_checks_for_issue(issue)
    now = timezone.now()
    rows = [
        FixCheckResult(
            issue=issue,
            link_id=check.link_id,
            position=position,
            product=check.product[:300],
            fixed_firmware=check.fixed_firmware,
            verdict=check.verdict,
            explanation=check.explanation,
            run_id=check.run_id,
            upgraded_installations=check.upgraded_installations,
            affected_excess=check.affected_excess,
            fixed_excess=check.fixed_excess,
            computed_at=now,
        )
        for position, check in enumerate(checks)
    ]
    with transaction.atomic():
        FixCheckResult.objects.filter(issue=issue).delete()
        return FixCheckResult.objects.bulk_create(rows)


def fix_check_job(job: Job) -> None:
    """The outbox handler of kind "tracker_fix_checks"; an issue deleted since has nothing to do."""
    issue = Issue.objects.filter(pk=job.payload["issue"]).first()
    if issue is not None:
        fix_checks_refresh(issue=issue)
