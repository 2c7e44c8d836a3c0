"""What the worker runs for each kind of job: one dotted path per kind, imported when first used.

A handler receives the job and either returns (done) or raises: `PermanentFailure` ends the job
as failed at once; any other exception is retried with backoff until its attempts run out. A
handler may run more than once for one job (a worker can die after the effect and before it
records it), so it passes `job.key` on to the receiver as the delivery's identity.
"""

from __future__ import annotations

HANDLERS: dict[str, str] = {
    "email": "kir.outbox.mail.deliver_email",
    "notification": "kir.notify.services.deliver_notifications",
    "tracker_run": "kir.tracker.execute.execute_run",
    "tracker_fix_checks": "kir.tracker.fix_check_jobs.fix_check_job",
    "csaf_entry": "kir.exports.provider_services.csaf_entry_job",
    "csaf_rebuild": "kir.exports.provider_services.csaf_rebuild_job",
    "csaf_anchor": "kir.exports.provider_services.csaf_anchor_job",
    "webhook_event": "kir.notify.webhooks.events.expand_webhook_event",
    "webhook": "kir.notify.webhooks.delivery.deliver_webhook",
    "fanout": "kir.notify.fanout.expand",
    "bulletin": "kir.notify.bulletins.deliver_bulletin",
}

# Called when a worker runs out of due jobs or stops: handlers that keep a connection open from
# job to job (SMTP) close it here.
IDLE_HOOKS: tuple[str, ...] = ("kir.outbox.mail.close_connection",)


class PermanentFailure(Exception):
    """Retrying cannot help (the receiver refused the delivery for good)."""
